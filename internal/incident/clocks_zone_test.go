package incident

import (
	"testing"
	"time"

	"github.com/vedetta-sec/vedetta/internal/store"
)

// TestClocksAcrossZones checks that the deadlines of a case depend on the
// instant of awareness only, not on the zone it was recorded in; hours are
// elapsed hours and the final report's month is counted in the
// jurisdiction's zone, across both daylight-saving changes of 2026 (29
// March and 25 October in Europe).
func TestClocksAcrossZones(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	zones := []*time.Location{time.UTC, zone("Europe/Rome"), zone("America/New_York"), zone("Asia/Tokyo"), time.FixedZone("odd", -(3*3600 + 1800))}
	type want struct{ early, notify, final time.Time }
	tests := []struct {
		name    string
		country string
		aware   time.Time // UTC
		want    want
	}{
		// 02:30 CEST on 25 October, half an hour before clocks go back:
		// 24 h later is 01:30 CET (00:30Z). The final report is due one
		// month after the notification deadline (28 October 01:30 CET),
		// at the same local hour: 28 November 01:30 CET.
		{"IT autumn change", "IT", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), want{
			time.Date(2026, 10, 26, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 28, 0, 30, 0, 0, time.UTC),
			time.Date(2026, 11, 28, 0, 30, 0, 0, time.UTC)}},
		// The second 02:30 of that night (02:30 CET, 01:30Z).
		{"IT repeated hour", "IT", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), want{
			time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC), time.Date(2026, 10, 28, 1, 30, 0, 0, time.UTC),
			time.Date(2026, 11, 28, 1, 30, 0, 0, time.UTC)}},
		// 00:30 CET on 29 March, the night clocks go forward: 24 h later is
		// 01:30 CEST; the notification is due 1 April 01:30 CEST, the final
		// report 1 May 01:30 CEST.
		{"IT spring night", "IT", time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), want{
			time.Date(2026, 3, 29, 23, 30, 0, 0, time.UTC), time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC),
			time.Date(2026, 4, 30, 23, 30, 0, 0, time.UTC)}},
		// Notification due 3 March 10:00 CET; the month crosses the spring
		// change, so the final report is 3 April 10:00 CEST (08:00Z).
		{"IT month across spring change", "IT", time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC), want{
			time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC),
			time.Date(2026, 4, 3, 8, 0, 0, 0, time.UTC)}},
		// The notification is due 30 January 23:30Z, already 31 January in
		// Tirana: the month is counted there and clamps to 28 February
		// 00:30 CET (27 February 23:30Z), not 28 February 23:30Z.
		{"AL local date after UTC date", "AL", time.Date(2026, 1, 27, 23, 30, 0, 0, time.UTC), want{
			time.Date(2026, 1, 28, 23, 30, 0, 0, time.UTC), time.Date(2026, 1, 30, 23, 30, 0, 0, time.UTC),
			time.Date(2026, 2, 27, 23, 30, 0, 0, time.UTC)}},
		// Montenegro in summer time: notification 3 July 23:30 CEST.
		{"ME summer time", "ME", time.Date(2026, 6, 30, 21, 30, 0, 0, time.UTC), want{
			time.Date(2026, 7, 1, 21, 30, 0, 0, time.UTC), time.Date(2026, 7, 3, 21, 30, 0, 0, time.UTC),
			time.Date(2026, 8, 3, 21, 30, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		for _, z := range zones {
			t.Run(tt.name+"/"+z.String(), func(t *testing.T) {
				c := store.Case{Significant: true, AwarenessAt: tt.aware.In(z)}
				got := map[string]time.Time{}
				for _, k := range PlanClocks(&c, tt.country, Settings{}) {
					got[k.Stage] = k.DeadlineAt
				}
				for stage, w := range map[string]time.Time{StageEarlyWarning: tt.want.early, StageNotification: tt.want.notify, StageFinal: tt.want.final} {
					if !got[stage].Equal(w) {
						t.Errorf("%s deadline = %v, want %v", stage, got[stage].UTC(), w)
					}
				}
			})
		}
	}
}

// TestClockStatusAtFixedTimes checks a clock's state around its deadline
// with fixed clocks, including a report made in another zone.
func TestClockStatusAtFixedTimes(t *testing.T) {
	deadline := time.Date(2026, 10, 26, 0, 30, 0, 0, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    store.CaseClock
		now  time.Time
		want string
	}{
		{"pending a second before", store.CaseClock{DeadlineAt: deadline}, deadline.Add(-time.Second), store.ClockPending},
		{"pending at the deadline", store.CaseClock{DeadlineAt: deadline}, deadline, store.ClockPending},
		{"breached a second after", store.CaseClock{DeadlineAt: deadline}, deadline.Add(time.Second), store.ClockBreached},
		{"met on time from New York", store.CaseClock{DeadlineAt: deadline, MetAt: deadline.Add(-time.Minute).In(ny)}, deadline.Add(time.Hour), store.ClockMet},
		{"met late", store.CaseClock{DeadlineAt: deadline, MetAt: deadline.Add(time.Minute)}, deadline.Add(time.Hour), store.ClockBreached},
		{"waived", store.CaseClock{DeadlineAt: deadline, Waived: true}, deadline.Add(time.Hour), store.ClockWaived},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Status(tt.now); got != tt.want {
				t.Errorf("Status = %q, want %q", got, tt.want)
			}
		})
	}
}
