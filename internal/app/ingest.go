package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/vedetta-sec/vedetta/internal/ingest"
)

// openIngest starts the receivers (syslog, MQTT, file tails, source health)
// and returns the HTTP receiver for the web server. With a store that does
// not keep sources yet, ingestion stays off and the handler is nil.
func (a *App) openIngest(ctx context.Context) (http.Handler, error) {
	sources, ok := a.Store.(ingest.Sources)
	if !ok {
		a.Log.Warn("ingest: the store keeps no sources; receivers are off")
		return nil, nil
	}
	cfg := a.Config.Ingest
	in, err := ingest.New(ingest.Options{
		Bus: a.Bus, Sources: sources, Logger: a.Log, Registry: a.Registry,
		TenantRate: cfg.TenantRate,
	})
	if err != nil {
		return nil, fmt.Errorf("app: ingest: %w", err)
	}
	if err := in.Reload(ctx); err != nil {
		a.Log.Warn("ingest: loading sources failed", "err", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	run := func(f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(rctx); err != nil {
				a.Log.Error("ingest: receiver stopped", "err", err)
			}
		}()
	}
	var closers []func() error
	stop := func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		cancel()
		wg.Wait()
		return errors.Join(errs...)
	}

	if cfg.SyslogUDP != "" || cfg.SyslogTCP != "" || cfg.SyslogTLS != "" {
		opts := ingest.SyslogOptions{UDPAddr: cfg.SyslogUDP, TCPAddr: cfg.SyslogTCP, TLSAddr: cfg.SyslogTLS}
		if cfg.SyslogTLS != "" {
			if opts.TLSConfig, err = ingestTLS(cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA); err != nil {
				stop()
				return nil, err
			}
		}
		srv := ingest.NewSyslogServer(in, opts)
		if err := srv.Start(rctx); err != nil {
			stop()
			return nil, fmt.Errorf("app: %w", err)
		}
		closers = append(closers, srv.Close)
	}
	if cfg.MQTTBroker != "" {
		b, err := in.StartMQTTBroker(ingest.MQTTBrokerOptions{Addr: cfg.MQTTBroker})
		if err != nil {
			stop()
			return nil, fmt.Errorf("app: %w", err)
		}
		closers = append(closers, b.Close)
	}
	run(in.Run)
	run(in.MQTTClients().Run)
	run(in.Tailer(ingest.TailOptions{StateDir: filepath.Join(a.Config.DataDir, "ingest", "tail")}).Run)
	a.closers = append(a.closers, stop)
	return in.HTTPHandler(ingest.HTTPOptions{MaxBody: cfg.HTTPMaxBody}), nil
}

// ingestTLS builds the syslog TLS server config; with a client CA, client
// certificates are verified when given (and mapped to sources).
func ingestTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("app: ingest tls: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("app: ingest tls client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("app: ingest tls client CA %s: no certificate", caFile)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return c, nil
}
