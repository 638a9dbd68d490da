package ingest

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/store"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

func TestTopicMatches(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"frigate/events", "frigate/events", true},
		{"frigate/+", "frigate/events", true},
		{"frigate/+", "frigate/events/x", false},
		{"frigate/#", "frigate", true},
		{"frigate/#", "frigate/a/b", true},
		{"#", "a/b", true},
		{"#", "$SYS/x", false},
		{"+/x", "$SYS/x", false},
		{"$SYS/#", "$SYS/x", true},
		{"a/+/c", "a/b/c", true},
		{"a/+/c", "a//c", true},
		{"a/b", "a/b/c", false},
		{"a/b/c", "a/b", false},
		{"", "a", false},
		{"a", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.filter+" "+tt.topic, func(t *testing.T) {
			if got := TopicMatches(tt.filter, tt.topic); got != tt.want {
				t.Fatalf("TopicMatches(%q, %q) = %v", tt.filter, tt.topic, got)
			}
		})
	}
}

const frigateEvent = `{"type":"new","before":{},"after":{"id":"1700000000.1-abc","camera":"gate_north","label":"person","score":0.87,"top_score":0.91,"start_time":1700000000.1,"end_time":null,"current_zones":["quay_3"],"entered_zones":["quay_3"],"has_snapshot":true,"false_positive":false}}`

// TestMQTTExternalBroker subscribes through the real Mosquitto broker and
// publishes with mosquitto_pub (QoS 1).
func TestMQTTExternalBroker(t *testing.T) {
	addr := testenv.MQTTAddr(t)
	pub := needTool(t, "mosquitto_pub")
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	topic := fmt.Sprintf("vedetta-test/%d/frigate/events", time.Now().UnixNano())
	src := e.addSource(store.Source{Kind: store.SourceMQTT, Format: "frigate", Match: strings.TrimSuffix(topic, "/events") + "/+",
		Config: fmt.Sprintf(`{"broker":"tcp://%s","qos":1,"client_id":"vt-%d"}`, addr, time.Now().UnixNano()%1e9)})
	m := e.in.MQTTClients()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, "subscribed", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, c := range m.conns {
			c.mu.Lock()
			_, ok := c.filters[src.Match]
			c.mu.Unlock()
			if ok {
				return true
			}
		}
		return false
	})
	time.Sleep(200 * time.Millisecond) // SUBACK
	host, p := splitHostPort(t, addr)
	for i := range 3 {
		out, err := exec.Command(pub, "-h", host, "-p", p, "-q", "1", "-t", topic, "-m", strings.Replace(frigateEvent, "abc", fmt.Sprint(i), 1)).CombinedOutput()
		if err != nil {
			t.Fatalf("mosquitto_pub: %v %s", err, out)
		}
	}
	// Not matching the filter: ignored by the broker for us.
	exec.Command(pub, "-h", host, "-p", p, "-q", "1", "-t", topic+"/deeper", "-m", frigateEvent).Run()
	evs := c.wait(t, 3)
	for _, ev := range evs {
		if ev.SourceID != src.ID || ev.String("vedetta.camera.id") == "" && ev.String("observer.name") == "" {
			t.Fatalf("event %s fields %v", ev.SourceID, ev.Fields)
		}
	}
	if len(c.settle()) != 3 {
		t.Fatal("extra events")
	}
}

// TestMQTTEmbeddedBroker: sensors publish to the embedded broker with the
// source's credentials; a QoS 1 publish is acknowledged once durable.
func TestMQTTEmbeddedBroker(t *testing.T) {
	pub := needTool(t, "mosquitto_pub")
	e := newEnv(t, envOpts{maxMsgs: 2})
	secret, prefix, _ := auth.NewAPIToken()
	src := e.addSource(store.Source{Kind: store.SourceMQTT, Format: "accesscontrol", Match: "port/doors/#",
		Config: `{"embedded":true,"username":"doors"}`, TokenPrefix: prefix, TokenHash: auth.HashToken(secret)})
	b, err := e.in.StartMQTTBroker(MQTTBrokerOptions{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	host, p := splitHostPort(t, b.Addr())
	publish := func(user, pass, topic string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, pub, "-h", host, "-p", p, "-u", user, "-P", pass, "-q", "1", "-V", "mqttv5",
			"-t", topic, "-m", accessJSON).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	if err := publish("doors", secret, "port/doors/gate-3"); err != nil {
		t.Fatal(err)
	}
	if err := publish("doors", "wrong", "port/doors/gate-3"); err == nil {
		t.Fatal("bad password accepted")
	}
	// Outside the source's filter: refused by the ACL (MQTT 5 answers
	// PUBACK "not authorized", which mosquitto_pub does not report).
	_ = publish("doors", secret, "port/other")
	if err := publish("doors", secret, "port/doors/gate-4"); err != nil {
		t.Fatal(err)
	}
	// The stream holds 2 events: the third publish is not acknowledged.
	if err := publish("doors", secret, "port/doors/gate-5"); err == nil {
		t.Fatal("publish acknowledged while the stream is full")
	}
	if e.counter("refused", store.SourceMQTT, ReasonBacklogFull) < 1 || e.counter("refused", store.SourceMQTT, ReasonUnknownSender) != 1 {
		t.Fatal("refusals not counted")
	}
	c := e.collect("test")
	c.wait(t, 2)
	evs := c.settle()
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	for _, ev := range evs {
		if ev.SourceID != src.ID || ev.String("vedetta.door.id") != "gate-3-north" {
			t.Fatalf("event of %s: %v", ev.SourceID, ev.Fields)
		}
	}
}

func splitHostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		t.Fatalf("address %q", addr)
	}
	host := addr[:i]
	if host == "" || host == "::" || host == "[::]" {
		host = "127.0.0.1"
	}
	return host, addr[i+1:]
}
