package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/bus/natsbus"
	"github.com/vedetta-sec/vedetta/internal/testenv"
)

// TestExternalNATS runs the clustered path: HTTP ingestion into the
// external NATS JetStream at testenv.NATSURL, read back by a durable
// consumer. The stream covers only this test's tenant, so the test can
// share the server with others.
func TestExternalNATS(t *testing.T) {
	url := testenv.NATSURL(t)
	id := fmt.Sprintf("%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	tenant := "ext-" + id
	stream := "VT_INGEST_" + id
	streams := []bus.StreamConfig{{Name: stream, Subjects: []string{bus.TenantEvents(tenant)}, MaxAge: time.Hour,
		Durables: []bus.DurableConfig{{Name: "test"}}}}
	b, err := natsbus.OpenURL(t.Context(), url, natsbus.Options{Streams: streams}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Close()
		nc, err := nats.Connect(url)
		if err != nil {
			return
		}
		defer nc.Close()
		if js, err := jetstream.New(nc); err == nil {
			js.DeleteStream(context.Background(), stream)
		}
	})
	e := newEnv(t, envOpts{bus: b})
	src, token := e.httpSource(tenant, "accesscontrol", "")
	srv := httptest.NewServer(e.in.HTTPHandler(HTTPOptions{}))
	defer srv.Close()

	c := e.collectFrom(stream, "test")
	const requests, per = 5, 200
	for range requests {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(strings.Repeat(accessJSON+"\n", per)))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	evs := c.wait(t, requests*per)
	for _, ev := range evs {
		if ev.TenantID != tenant || ev.SourceID != src.ID {
			t.Fatalf("event of %s/%s", ev.TenantID, ev.SourceID)
		}
	}
	if got := len(c.settle()); got != requests*per {
		t.Fatalf("%d events, want %d", got, requests*per)
	}
}
