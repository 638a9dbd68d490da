package ingest

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	received *prometheus.CounterVec // kind
	accepted *prometheus.CounterVec // kind
	refused  *prometheus.CounterVec // kind, reason
	errors   *prometheus.CounterVec // kind, reason
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vedetta_ingest_received_total", Help: "Records read by the receivers, by kind.",
		}, []string{"kind"}),
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vedetta_ingest_accepted_total", Help: "Events stored durably on the bus, by kind.",
		}, []string{"kind"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vedetta_ingest_refused_total", Help: "Records or events refused, by kind and reason.",
		}, []string{"kind", "reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vedetta_ingest_errors_total", Help: "Records that could not be read or parsed, by kind and reason.",
		}, []string{"kind", "reason"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.received, m.accepted, m.refused, m.errors} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				continue
			}
			return nil, fmt.Errorf("ingest: metrics: %w", err)
		}
	}
	return m, nil
}
