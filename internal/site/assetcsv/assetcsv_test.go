package assetcsv

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vedetta-sec/vedetta/internal/store"
)

const good = `name,type,criticality,status,owner,lon,lat,ips,hostnames,urls,macs,camera_ids,mqtt_topics,serials,tags,description
srv-protocollo,server,5,active,CED,,,192.0.2.10;2001:db8::1,Protocollo.Comune.Example,,00-1A-2B-3C-4D-5E,,,SN-1,pa;dmz,"Server, protocollo"
Telecamera piazza,camera,,,Polizia locale,9.9115,44.0757,192.0.2.50,,,,cam-07,frigate/cam-07/events,,tvcc,
`

func TestReadGood(t *testing.T) {
	got, err := Read(strings.NewReader(good), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Asset{
		{Name: "srv-protocollo", Type: store.AssetServer, Criticality: 5, Status: store.AssetActive, Owner: "CED", Description: "Server, protocollo",
			Identifiers: []store.Identifier{{Kind: store.IdentIP, Value: "192.0.2.10"}, {Kind: store.IdentIP, Value: "2001:db8::1"},
				{Kind: store.IdentHostname, Value: "protocollo.comune.example"}, {Kind: store.IdentMAC, Value: "00:1a:2b:3c:4d:5e"},
				{Kind: store.IdentSerial, Value: "SN-1"}},
			Tags: []string{"pa", "dmz"}},
		{Name: "Telecamera piazza", Type: store.AssetCamera, Criticality: 3, Status: store.AssetActive, Owner: "Polizia locale",
			HasPoint: true, Lon: 9.9115, Lat: 44.0757,
			Identifiers: []store.Identifier{{Kind: store.IdentIP, Value: "192.0.2.50"}, {Kind: store.IdentCameraID, Value: "cam-07"},
				{Kind: store.IdentMQTTTopic, Value: "frigate/cam-07/events"}},
			Tags: []string{"tvcc"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
}

func TestRoundTrip(t *testing.T) {
	in := []store.Asset{
		{ID: "a1", Name: "fw-01", Type: store.AssetFirewall, Criticality: 4, Status: store.AssetMaintenance, Owner: "CED \"Lerici\"",
			SiteID: "s1", HasPoint: true, Lon: 9.91151234567, Lat: -44.0757, ZoneID: "z1", StoreyID: "st1", SpaceID: "sp1",
			Identifiers: []store.Identifier{{Kind: store.IdentIP, Value: "192.0.2.1"}, {Kind: store.IdentURL, Value: "https://fw.example/a,b?c=d"}},
			Tags:        []string{"perimetro", "critico"}, Description: "riga uno\nriga due, con virgola"},
		{ID: "a2", Name: "mail", Type: store.AssetMailDomain, Criticality: 1, Status: store.AssetRetired,
			Identifiers: []store.Identifier{{Kind: store.IdentHostname, Value: "comune.example"}}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(&buf, Options{})
	if err != nil {
		t.Fatalf("Read(Write(x)): %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(in, out, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestWriteRefusesLossyValues(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, []store.Asset{{Name: "x", Type: store.AssetOther, Criticality: 1, Status: store.AssetActive,
		Identifiers: []store.Identifier{{Kind: store.IdentMQTTTopic, Value: "a;b"}}}})
	if err == nil {
		t.Fatal("Write accepted an identifier containing the separator")
	}
	if buf.Len() != 0 {
		t.Errorf("Write wrote %d bytes before failing", buf.Len())
	}
}

func TestReadMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []RowError
	}{
		{"empty", "", []RowError{{Line: 1, Reason: "empty file: a header line is required"}}},
		{"missing required", "name,owner\nx,y\n", []RowError{{Line: 1, Column: "type", Reason: "required column missing"}}},
		{"unknown column", "name,type,colour\nx,server,red\n", []RowError{{Line: 1, Column: "colour", Reason: "unknown column"}}},
		{"duplicate column", "name,type,Name\nx,server,y\n", []RowError{{Line: 1, Column: "name", Reason: "duplicate column"}}},
		{"bad type", "name,type\nx,toaster\n", []RowError{{Line: 2, Column: "type", Reason: `unknown asset type "toaster"`}}},
		{"empty name", "name,type\n,server\n", []RowError{{Line: 2, Column: "name", Reason: "empty"}}},
		{"criticality", "name,type,criticality\nx,server,9\ny,server,high\n", []RowError{
			{Line: 2, Column: "criticality", Reason: `"9" is not a whole number from 1 to 5`},
			{Line: 3, Column: "criticality", Reason: `"high" is not a whole number from 1 to 5`}}},
		{"status", "name,type,status\nx,server,lost\n", []RowError{{Line: 2, Column: "status", Reason: `unknown status "lost"`}}},
		{"half a point", "name,type,lon,lat\nx,server,9.8,\n", []RowError{{Line: 2, Column: "lon", Reason: "lon and lat must be given together"}}},
		{"latitude", "name,type,lon,lat\nx,server,9.8,95\n", []RowError{{Line: 2, Column: "lat", Reason: `"95" is not a latitude`}}},
		{"longitude NaN", "name,type,lon,lat\nx,server,NaN,44\n", []RowError{{Line: 2, Column: "lon", Reason: `"NaN" is not a longitude`}}},
		{"bad ip", "name,type,ips\nx,server,10.0.0.1;300.1.1.1\n", []RowError{{Line: 2, Column: "ips", Reason: `malformed ip "300.1.1.1"`}}},
		{"bad mac", "name,type,macs\nx,server,00:11\n", []RowError{{Line: 2, Column: "macs", Reason: `malformed mac "00:11"`}}},
		{"field count", "name,type\nx,server,extra\ny,server\n", []RowError{{Line: 2, Reason: "has 3 fields, the header has 2"}}},
		{"bare quote", "name,type\n\"x,server\nnext,server\n", []RowError{{Line: 3, Reason: `extraneous or missing " in quoted-field`}}},
		{"space without storey", "name,type,space_id\nx,sensor,sp1\n", []RowError{{Line: 2, Column: "space_id", Reason: "a space needs its storey_id"}}},
		{"duplicate id", "id,name,type\na1,x,server\na1,y,server\n", []RowError{{Line: 3, Column: "id", Reason: "id also on line 2"}}},
		{"not utf8", "name,type\n\xff,server\n", []RowError{{Line: 0, Reason: "file is not UTF-8 text"}}},
		{"several in one row", "name,type,criticality\n,router,0\n", []RowError{
			{Line: 2, Column: "name", Reason: "empty"}, {Line: 2, Column: "type", Reason: `unknown asset type "router"`},
			{Line: 2, Column: "criticality", Reason: `"0" is not a whole number from 1 to 5`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tt.in), Options{})
			if got != nil {
				t.Errorf("Read returned %d assets with an error", len(got))
			}
			var verr *ValidationError
			if !errors.As(err, &verr) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if diff := cmp.Diff(tt.want, verr.Rows); diff != "" {
				t.Errorf("row errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadLimitsAndReferences(t *testing.T) {
	big := "name,type\n" + strings.Repeat("x,server\n", 20)
	if _, err := Read(strings.NewReader(big), Options{MaxRows: 10}); err == nil || !strings.Contains(err.Error(), "more than 10 rows") {
		t.Errorf("MaxRows: err = %v", err)
	}
	if _, err := Read(strings.NewReader(big), Options{MaxBytes: 50}); err == nil || !strings.Contains(err.Error(), "larger than 50 bytes") {
		t.Errorf("MaxBytes: err = %v", err)
	}
	known := func(what, id string) bool { return what == "site" && id == "s1" }
	_, err := Read(strings.NewReader("name,type,site_id,zone_id\nx,server,s1,\ny,server,s2,z9\n"), Options{Known: known})
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v", err)
	}
	want := []RowError{{Line: 3, Column: "site_id", Reason: `no site with id "s2"`}, {Line: 3, Column: "zone_id", Reason: `no zone with id "z9"`}}
	if diff := cmp.Diff(want, verr.Rows); diff != "" {
		t.Errorf("reference errors (-want +got):\n%s", diff)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(good)
	f.Add("name,type\n\"x,server\n")
	f.Add("id,name,type,lon,lat\na,b,camera,1e400,-0\n")
	f.Add("\xef\xbb\xbfname,type,tags\nx,other,;;a;\n")
	f.Add("name,type,ips\nx,server,::ffff:1.2.3.4%eth0\n")
	f.Fuzz(func(t *testing.T, in string) {
		as, err := Read(strings.NewReader(in), Options{MaxRows: 1000})
		if err != nil {
			if as != nil {
				t.Fatal("assets returned with an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		// What was accepted must survive a write and a second read.
		var buf bytes.Buffer
		if err := Write(&buf, as); err != nil {
			return // a value Write cannot represent exactly; refused, not lost
		}
		again, err := Read(&buf, Options{MaxRows: 1000})
		if err != nil {
			t.Fatalf("re-reading written CSV: %v\n%s", err, buf.String())
		}
		if diff := cmp.Diff(as, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip changed assets (-first +second):\n%s", diff)
		}
	})
}
