package ingest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// testPKI is a CA with a server and a client certificate, in files.
type testPKI struct {
	dir                       string
	caFile, certFile, keyFile string
	clientCert, clientKey     string
	client                    *x509.Certificate
	serverTLS                 *tls.Config
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	p := &testPKI{dir: dir}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vedetta test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string, *x509.Certificate) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			DNSNames: []string{name}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalPKCS8PrivateKey(key)
		cf, kf := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
		writePEM(t, cf, "CERTIFICATE", der)
		writePEM(t, kf, "PRIVATE KEY", kder)
		c, _ := x509.ParseCertificate(der)
		return cf, kf, c
	}
	p.caFile = filepath.Join(dir, "ca.pem")
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	p.certFile, p.keyFile, _ = issue("localhost", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey, p.client = issue("rsyslog-client", 3, x509.ExtKeyUsageClientAuth)
	cert, err := tls.LoadX509KeyPair(p.certFile, p.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	p.serverTLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}
	return p
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return port(ln.Addr())
}

// startRsyslog runs rsyslogd in the foreground with conf; it returns when
// rsyslog listens on inPort.
func startRsyslog(t *testing.T, dir, conf, inPort string) {
	t.Helper()
	bin := needTool(t, "rsyslogd")
	cf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.Command(bin, "-n", "-f", cf, "-i", filepath.Join(dir, "rsyslog.pid"))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("rsyslogd output:\n%s", out.String())
		}
	})
	eventually(t, "rsyslogd listening", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+inPort)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// TestRsyslogForwarding: Debian's rsyslog takes lines on its own imptcp
// port and forwards them to Vedetta over plain TCP (octet counting,
// RFC 5424) and over TLS (RFC 5425, client certificate mapped to the
// source by fingerprint).
func TestRsyslogForwarding(t *testing.T) {
	needTool(t, "rsyslogd")
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so"); err != nil {
		needTool(t, "rsyslog-gnutls-driver-missing")
	}
	pki := newPKI(t)
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	tcpSrc := e.addSource(store.Source{Kind: store.SourceSyslogTCP, Match: "127.0.0.1", TenantID: "tenant-tcp", KeepRaw: true})
	tlsSrc := e.addSource(store.Source{Kind: store.SourceSyslogTLS, Match: strings.ToUpper(CertFingerprint(pki.client)), TenantID: "tenant-tls"})
	// A TLS source for the same address but without certificate must not win.
	e.addSource(store.Source{Kind: store.SourceSyslogTLS, Match: "127.0.0.1", TenantID: "tenant-addr"})
	s := startSyslog(t, e, SyslogOptions{TLSAddr: "127.0.0.1:0", TLSConfig: pki.serverTLS})

	dir := t.TempDir()
	inPort := freePort(t)
	conf := fmt.Sprintf(`
global(workDirectory="%[1]s"
       defaultNetstreamDriverCAFile="%[2]s"
       defaultNetstreamDriverCertFile="%[3]s"
       defaultNetstreamDriverKeyFile="%[4]s")
module(load="imptcp")
# RFC 5424 without the space rsyslog keeps before an RFC 3164 MSG.
template(name="v5424" type="string"
         string="<%%PRI%%>1 %%TIMESTAMP:::date-rfc3339%% %%HOSTNAME%% %%APP-NAME%% %%PROCID%% - - %%msg:2:$%%")
input(type="imptcp" address="127.0.0.1" port="%[5]s")
action(type="omfwd" target="127.0.0.1" port="%[6]s" protocol="tcp" TCP_Framing="octet-counted"
       template="v5424" action.resumeRetryCount="-1")
action(type="omfwd" target="127.0.0.1" port="%[7]s" protocol="tcp" TCP_Framing="octet-counted"
       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid"
       action.resumeRetryCount="-1")
`, dir, pki.caFile, pki.clientCert, pki.clientKey, inPort, port(s.TCPAddr()), port(s.TLSAddr()))
	startRsyslog(t, dir, conf, inPort)

	conn, err := net.Dial("tcp", "127.0.0.1:"+inPort)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		fmt.Fprintf(conn, "<38>Nov 24 08:00:%02d web01 sshd[42]: Failed password for root from 198.51.100.%d port 4000 ssh2\n", i%60, i)
	}
	conn.Close()

	evs := c.wait(t, 2*n)
	per := map[string]int{}
	for _, ev := range evs {
		per[ev.SourceID]++
		if ev.String("source.ip") == "" || ev.String("user.name") != "root" {
			t.Fatalf("event fields %v", ev.Fields)
		}
		if ev.SourceID == tcpSrc.ID && !strings.HasPrefix(ev.Raw, "<38>1 ") {
			t.Fatalf("tcp raw %q is not RFC 5424", ev.Raw)
		}
	}
	if per[tcpSrc.ID] != n || per[tlsSrc.ID] != n {
		t.Fatalf("events per source %v, want %d for %s and %s", per, n, tcpSrc.ID, tlsSrc.ID)
	}
}

// TestTLSClientCertificates: fingerprint, then CN, then address; a client
// whose certificate no source names is refused.
func TestTLSClientCertificates(t *testing.T) {
	pki := newPKI(t)
	e := newEnv(t, envOpts{})
	c := e.collect("test")
	cn := e.addSource(store.Source{Kind: store.SourceSyslogTLS, Match: "rsyslog-client", TenantID: "t-cn"})
	s := startSyslog(t, e, SyslogOptions{TLSAddr: "127.0.0.1:0", TLSConfig: pki.serverTLS})
	cert, err := tls.LoadX509KeyPair(pki.clientCert, pki.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	pem, _ := os.ReadFile(pki.caFile)
	roots.AppendCertsFromPEM(pem)
	send := func(withCert bool) error {
		cfg := &tls.Config{RootCAs: roots, ServerName: "localhost"}
		if withCert {
			cfg.Certificates = []tls.Certificate{cert}
		}
		conn, err := tls.Dial("tcp", s.TLSAddr().String(), cfg)
		if err != nil {
			return err
		}
		defer conn.Close()
		msg := "<13>1 2026-11-24T08:00:00Z h app - - - over tls"
		if _, err := fmt.Fprintf(conn, "%d %s", len(msg), msg); err != nil {
			return err
		}
		if err := conn.CloseWrite(); err != nil {
			return err
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		return err
	}
	if err := send(true); err == nil {
		t.Fatal("server wrote to the client")
	}
	ev := c.wait(t, 1)[0]
	if ev.SourceID != cn.ID || ev.TenantID != "t-cn" {
		t.Fatalf("event from %s/%s", ev.TenantID, ev.SourceID)
	}
	send(false)
	eventually(t, "refusal counted", func() bool {
		return e.counter("refused", store.SourceSyslogTLS, ReasonUnknownSender) == 1
	})
	if got := len(c.settle()); got != 1 {
		t.Fatalf("%d events, want 1", got)
	}
}
