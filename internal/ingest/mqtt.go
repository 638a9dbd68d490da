package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// TopicMatches reports whether an MQTT topic name matches a topic filter
// with the + (one level) and # (this level and below) wildcards.
func TopicMatches(filter, topic string) bool {
	if filter == "" || topic == "" {
		return false
	}
	// Wildcards at the first level do not match $-topics (MQTT 4.7.2).
	if topic[0] == '$' && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	for {
		f, frest, fmore := strings.Cut(filter, "/")
		t, trest, tmore := strings.Cut(topic, "/")
		switch {
		case f == "#":
			return !fmore
		case f != "+" && f != t:
			return false
		}
		if !fmore && !tmore {
			return true
		}
		if !fmore {
			return false
		}
		if !tmore {
			// "a/#" matches "a".
			return frest == "#"
		}
		filter, topic = frest, trest
	}
}

// handleMQTT parses one MQTT payload for a source and publishes it.
// It returns nil when the message may be acknowledged: stored, or
// unparseable (counted; redelivering it cannot help).
func (in *Ingester) handleMQTT(ctx context.Context, e *entry, payload []byte, retry bool) error {
	const kind = store.SourceMQTT
	in.received(kind, 1)
	p, err := e.parser()
	if err != nil {
		in.parseError(kind, &e.src, err)
		return nil
	}
	evs := make([]event.Event, 1)
	perr := p.Parse(payload, &evs[0])
	e.release(p)
	if perr != nil {
		if !errors.Is(perr, normalize.ErrNoEvent) {
			in.parseError(kind, &e.src, perr)
		}
		return nil
	}
	if retry {
		return in.submitRetrying(ctx, kind, &e.src, evs)
	}
	return in.Submit(ctx, kind, &e.src, evs)
}

// MQTTClients subscribes to external brokers: one connection per broker,
// credentials and client id among the enabled MQTT sources that are not
// Embedded, subscribing to each source's topic filter (Source.Match). A
// message is acknowledged (QoS 1) only once its event is durable; while
// the bus refuses, the connection's message handling waits, so the broker
// holds the backlog.
type MQTTClients struct {
	in  *Ingester
	log *slog.Logger

	mu    sync.Mutex
	conns map[string]*mqttConn
}

type mqttConn struct {
	key     string
	client  paho.Client
	filters map[string]string // filter → source id
	mu      sync.Mutex
}

// MQTTClients returns the external-broker subscriber of in.
func (in *Ingester) MQTTClients() *MQTTClients {
	return &MQTTClients{in: in, log: in.log.With("receiver", "mqtt"), conns: make(map[string]*mqttConn)}
}

// Run keeps the connections in line with the sources until ctx ends.
func (m *MQTTClients) Run(ctx context.Context) error {
	t := time.NewTicker(m.in.opts.ReloadInterval)
	defer t.Stop()
	for {
		m.sync(ctx)
		select {
		case <-ctx.Done():
			m.mu.Lock()
			for k, c := range m.conns {
				c.client.Disconnect(250)
				delete(m.conns, k)
			}
			m.mu.Unlock()
			return nil
		case <-t.C:
		}
	}
}

func connKey(e *entry) string {
	return e.cfg.Broker + "\x00" + e.cfg.Username + "\x00" + e.cfg.Password + "\x00" + e.cfg.ClientID
}

// sync connects, subscribes and unsubscribes to match the sources.
func (m *MQTTClients) sync(ctx context.Context) {
	want := make(map[string][]*entry)
	for _, e := range m.in.reg.list(store.SourceMQTT) {
		if e.cfg.Embedded || !e.src.Enabled || e.cfg.Broker == "" || e.src.Match == "" {
			continue
		}
		k := connKey(e)
		want[k] = append(want[k], e)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, c := range m.conns {
		if _, ok := want[k]; !ok {
			c.client.Disconnect(250)
			delete(m.conns, k)
		}
	}
	for k, es := range want {
		c := m.conns[k]
		if c == nil {
			var err error
			if c, err = m.connect(ctx, k, es[0]); err != nil {
				m.log.Warn("mqtt connect failed", "broker", es[0].cfg.Broker, "source", es[0].src.ID, "err", err)
				for _, e := range es {
					m.in.health.fail(e.src.ID, err.Error())
				}
				continue
			}
			m.conns[k] = c
		}
		c.update(m, es)
	}
}

func (m *MQTTClients) connect(ctx context.Context, key string, e *entry) (*mqttConn, error) {
	c := &mqttConn{key: key, filters: make(map[string]string)}
	id := e.cfg.ClientID
	if id == "" {
		id = "vedetta-" + e.src.ID
		if len(id) > 23 {
			id = id[:23]
		}
	}
	o := paho.NewClientOptions().AddBroker(e.cfg.Broker).SetClientID(id).
		SetUsername(e.cfg.Username).SetPassword(e.cfg.Password).
		SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(false).
		SetAutoAckDisabled(true).SetOrderMatters(true).
		SetConnectTimeout(10 * time.Second).SetMaxReconnectInterval(30 * time.Second)
	o.SetOnConnectHandler(func(paho.Client) {
		// Subscriptions survive with a persistent session, but a broker
		// may have lost it: subscribe again.
		c.mu.Lock()
		defer c.mu.Unlock()
		for f := range c.filters {
			c.subscribe(m, f)
		}
	})
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		m.log.Warn("mqtt connection lost", "broker", e.cfg.Broker, "err", err)
	})
	cl := paho.NewClient(o)
	c.client = cl
	tok := cl.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("ingest: mqtt %s: %w", e.cfg.Broker, err)
	}
	return c, nil
}

// update subscribes to new filters and unsubscribes from removed ones.
func (c *mqttConn) update(m *MQTTClients, es []*entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	want := make(map[string]string, len(es))
	for _, e := range es {
		want[e.src.Match] = e.src.ID
	}
	for f := range c.filters {
		if _, ok := want[f]; !ok {
			c.client.Unsubscribe(f).WaitTimeout(5 * time.Second)
			delete(c.filters, f)
		}
	}
	for f, id := range want {
		if old, ok := c.filters[f]; ok && old == id {
			continue
		}
		c.filters[f] = id
		c.subscribe(m, f)
	}
}

// subscribe subscribes to one filter; c.mu is held.
func (c *mqttConn) subscribe(m *MQTTClients, filter string) {
	id := c.filters[filter]
	e := m.in.reg.get(id)
	qos := byte(1)
	if e != nil && e.cfg.QoS != nil && *e.cfg.QoS <= 2 {
		qos = *e.cfg.QoS
	}
	tok := c.client.Subscribe(filter, qos, func(_ paho.Client, msg paho.Message) {
		c.mu.Lock()
		sid := c.filters[filter]
		c.mu.Unlock()
		e := m.in.reg.get(sid)
		if e == nil || !e.src.Enabled {
			// Source gone: leave the message unacknowledged.
			m.in.refuse(store.SourceMQTT, ReasonDisabled, 1)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := m.in.handleMQTT(ctx, e, msg.Payload(), true); err != nil {
			m.log.Warn("mqtt message not taken", "source", sid, "topic", msg.Topic(), "err", err)
			return
		}
		msg.Ack()
	})
	go func() {
		if tok.WaitTimeout(10*time.Second) && tok.Error() != nil {
			m.log.Warn("mqtt subscribe failed", "filter", filter, "err", tok.Error())
		}
	}()
}

// MQTTBrokerOptions configures the embedded broker.
type MQTTBrokerOptions struct {
	Addr      string      // e.g. ":1883"; required
	TLSConfig *tls.Config // optional: MQTT over TLS on Addr
}

// MQTTBroker is the embedded MQTT broker for sensors with nowhere else to
// publish. Clients log in as an Embedded MQTT source (username, push token
// as password) and may only publish, on topics matching the source's
// filter; a QoS 1 publish is acknowledged once its event is durable, and
// left unacknowledged (the client resends it) when the bus refuses.
type MQTTBroker struct {
	srv *mqtt.Server
	tcp *listeners.TCP
}

// StartMQTTBroker starts the embedded broker.
func (in *Ingester) StartMQTTBroker(opts MQTTBrokerOptions) (*MQTTBroker, error) {
	srv := mqtt.New(&mqtt.Options{
		Logger:       in.log.With("receiver", "mqtt-broker"),
		InlineClient: false,
	})
	if err := srv.AddHook(&brokerHook{in: in}, nil); err != nil {
		return nil, fmt.Errorf("ingest: mqtt broker: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{Type: "tcp", ID: "vedetta-mqtt", Address: opts.Addr, TLSConfig: opts.TLSConfig})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("ingest: mqtt broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("ingest: mqtt broker: %w", err)
	}
	in.log.Info("embedded MQTT broker listening", "addr", tcp.Address())
	return &MQTTBroker{srv: srv, tcp: tcp}, nil
}

// Addr returns the bound address.
func (b *MQTTBroker) Addr() string { return b.tcp.Address() }

// Close stops the broker.
func (b *MQTTBroker) Close() error { return b.srv.Close() }

type brokerHook struct {
	mqtt.HookBase
	in *Ingester
}

func (h *brokerHook) ID() string { return "vedetta-ingest" }

func (h *brokerHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublish
}

func (h *brokerHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	if h.in.reg.embeddedLogin(string(pk.Connect.Username), string(pk.Connect.Password)) == nil {
		h.in.refuse(store.SourceMQTT, ReasonUnknownSender, 1)
		return false
	}
	return true
}

// source returns the source a logged-in client publishes for.
func (h *brokerHook) source(cl *mqtt.Client) *entry {
	e := h.in.reg.cur.Load().embedded[string(cl.Properties.Username)]
	if e == nil || !e.src.Enabled {
		return nil
	}
	return e
}

func (h *brokerHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if !write {
		return false
	}
	e := h.source(cl)
	return e != nil && TopicMatches(e.src.Match, topic)
}

func (h *brokerHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	e := h.source(cl)
	if e == nil {
		h.in.refuse(store.SourceMQTT, ReasonDisabled, 1)
		return pk, packets.ErrRejectPacket
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.in.handleMQTT(ctx, e, pk.Payload, false); err != nil {
		// No PUBACK: the client keeps the message and resends it.
		return pk, packets.ErrRejectPacket
	}
	return pk, nil
}
