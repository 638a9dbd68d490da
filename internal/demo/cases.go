package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// seedCases opens a demo incident at the Comune di Lerici: a suspected
// ransomware on the registry office's file server, found this morning,
// with its observables, the first steps of the ransomware playbook and the
// legal clocks it triggers (NIS2 significant incident and GDPR, as the
// registry holds citizens' data). COSC Liguria, which oversees Lerici,
// receives its reports.
func seedCases(ctx context.Context, st store.Store, tenants map[string]string) error {
	tid := tenants["comune-lerici"]
	if tid == "" {
		return nil
	}
	t, err := st.GetTenant(ctx, tid)
	if err != nil {
		return fmt.Errorf("demo: cases: %w", err)
	}
	aware := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)
	c := &store.Case{TenantID: tid, Title: "Ransomware sul file server dell'anagrafe",
		Description: "Alle 7:40 l'ufficio anagrafe segnala file con estensione .lockbit e una nota di riscatto sul file server FS-ANAG-01. " +
			"Il server contiene certificati e dati dei cittadini.",
		Status: store.CaseOpen, Severity: "critical", Category: store.CatRansomware, Significant: true, PersonalData: true,
		Playbook: "ransomware", TLP: "amber", AwarenessAt: aware, AcknowledgedAt: aware.Add(20 * time.Minute), CreatedBy: "demo"}
	if err := st.CreateCase(ctx, c); err != nil {
		return fmt.Errorf("demo: case: %w", err)
	}
	for _, o := range []store.Observable{
		{Type: "host", Value: "fs-anag-01.comune.lerici.local"},
		{Type: "ip", Value: "185.220.101.47", Note: "connessioni in uscita dal file server"},
		{Type: "domain", Value: "lockbit-decryptor.example"},
		{Type: "hash", Value: "3f8a2c1e9b7d4f6a0c5e8b2d1a9f7c3e5b8d0a2c4e6f8a1b3d5c7e9f0a2b4c6d", Note: "eseguibile trovato in C:\\ProgramData"},
		{Type: "user", Value: "m.rossi", Personal: true, Note: "utenza usata per l'accesso RDP"},
		{Type: "ip", Value: "93.45.112.8", Personal: true, Note: "accesso VPN dell'utente, probabilmente da casa"},
	} {
		o.TenantID, o.CaseID = tid, c.ID
		if err := st.AddObservable(ctx, &o); err != nil {
			return fmt.Errorf("demo: observable: %w", err)
		}
	}
	for _, e := range []store.TimelineEntry{
		{At: aware.Add(-50 * time.Minute), Kind: store.TimelineEvent, Text: "Accesso RDP a FS-ANAG-01 con l'utenza m.rossi da un indirizzo VPN"},
		{At: aware.Add(-35 * time.Minute), Kind: store.TimelineEvent, Text: "Picco di scritture su \\\\FS-ANAG-01\\anagrafe (12 000 file modificati in 10 minuti)"},
		{At: aware, Kind: store.TimelineNote, ActorName: "Marco Bianchi", Text: "Segnalazione dell'ufficio anagrafe: file cifrati e nota di riscatto"},
		{At: aware.Add(20 * time.Minute), Kind: store.TimelineStatus, ActorName: "Marco Bianchi", Text: "new → open"},
	} {
		e.TenantID, e.CaseID = tid, c.ID
		if err := st.AddTimeline(ctx, &e); err != nil {
			return fmt.Errorf("demo: timeline: %w", err)
		}
	}
	pbs, err := incident.Defaults()
	if err != nil {
		return err
	}
	for _, s := range pbs["ransomware"].Steps {
		for i, item := range s.Checklist {
			task := &store.CaseTask{TenantID: tid, CaseID: c.ID, Title: item.IT, Step: s.ID}
			if s.ID == "contain" && i == 0 {
				task.Done, task.DoneAt = true, aware.Add(25*time.Minute)
			}
			if err := st.AddTask(ctx, task); err != nil {
				return fmt.Errorf("demo: task: %w", err)
			}
		}
	}
	if err := st.AddComment(ctx, &store.CaseComment{TenantID: tid, CaseID: c.ID, AuthorName: "Marco Bianchi",
		Body: "Server scollegato dalla rete alle 8:05, lasciato acceso. Backup del venerdì su nastro non coinvolto."}); err != nil {
		return fmt.Errorf("demo: comment: %w", err)
	}
	if _, err := incident.SyncClocks(ctx, st, c, t.Country, incident.Settings{}); err != nil {
		return fmt.Errorf("demo: clocks: %w", err)
	}
	return seedRansomAlert(ctx, st, tid)
}

// DemoRansomRule is the rule of the demo's open ransomware alert at the
// Comune di Lerici, not yet escalated to a case.
const DemoRansomRule = "demo-ransom-note"

// seedRansomAlert raises the alert a ransomware detection gives when the
// protocol office's file server starts renaming files and writing ransom
// notes: open and not yet escalated, so a technician can take it to a
// case. The seeded events carry no such pattern, so detection does not
// produce it at seed time.
func seedRansomAlert(ctx context.Context, st store.Store, tid string) error {
	now := time.Now().UTC().Truncate(time.Second)
	a := &store.Alert{TenantID: tid, Kind: store.AlertSigma, RuleID: DemoRansomRule,
		RuleTitle: "Ransom note and mass file renaming (ransomware)", Severity: store.SeverityCritical,
		Title:       "Ransomware: nota di riscatto su FS-PROT-02",
		Description: "Centinaia di file rinominati con estensione .lockbit e un file README-RESTORE.txt in ogni cartella della condivisione del protocollo.",
		Tags:        []string{"attack.impact", "attack.t1486"},
		Entities:    store.Entities{Hosts: []string{"fs-prot-02"}, IPs: []string{"185.220.101.99"}},
		DedupKey:    DemoRansomRule + "/fs-prot-02", Count: 1, FirstSeen: now.Add(-12 * time.Minute), LastSeen: now.Add(-2 * time.Minute)}
	if _, _, err := st.UpsertAlert(ctx, a, time.Hour); err != nil {
		return fmt.Errorf("demo: ransomware alert: %w", err)
	}
	return nil
}
