package wms

import (
	"context"
	"testing"
)

// A wrong current PIN when changing it counts as a wrong PIN at login does:
// the fifth locks the badge, the event that locked it says so, and while it
// is locked even the right PIN changes nothing. A badge nobody has writes no
// event at all.
func TestChangePINLocksAfterWrongPINs(t *testing.T) {
	l, clock := openTest(t)
	ctx := context.Background()
	hash, _ := HashPIN("4321")
	mustAppend(t, l, "staff-1", EvStaffUpserted, StaffChange{Badge: "B1001", Name: "张伟", Role: RolePicker, PINHash: hash})
	p := Principal{Badge: "B1001", Role: RolePicker}
	for i := 1; i <= maxWrongPINs+1; i++ {
		err := l.ChangePIN(ctx, p, "0000", "5678", "pda")
		want := "pin.current_wrong"
		if i > maxWrongPINs {
			want = "login.locked"
		}
		if e, ok := AsError(err); !ok || e.Key != want {
			t.Fatalf("attempt %d: %v, want %s", i, err, want)
		}
	}
	if err := l.ChangePIN(ctx, p, "4321", "5678", "pda"); ErrorCode(err) != CodeForbidden {
		t.Fatalf("right PIN while locked: %v", err)
	}
	if _, _, err := l.Login(ctx, "B1001", "4321", "pda"); ErrorCode(err) != CodeForbidden {
		t.Fatalf("login while locked: %v", err)
	}
	events, err := l.EventsOfType(100, EvLoginFailed)
	if err != nil {
		t.Fatal(err)
	}
	var wrong, locking, whileLocked int
	for _, ev := range events {
		var f LoginFailed
		if err := ev.DecodeData(&f); err != nil {
			t.Fatal(err)
		}
		switch {
		case f.Reason == "pin.current_wrong" && f.LockedUntil != nil:
			locking++
			if want := ev.At.Add(lockoutFor); !f.LockedUntil.Equal(want) {
				t.Errorf("locked until %v, want %v", f.LockedUntil, want)
			}
		case f.Reason == "pin.current_wrong":
			wrong++
		case f.Reason == "login.locked":
			whileLocked++
		}
	}
	if wrong != maxWrongPINs-1 || locking != 1 || whileLocked != 3 {
		t.Errorf("events: %d wrong, %d locking, %d while locked; want %d, 1, 3", wrong, locking, whileLocked, maxWrongPINs-1)
	}
	clock.Add(lockoutFor)
	if err := l.ChangePIN(ctx, p, "4321", "5678", "pda"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if _, _, err := l.Login(ctx, "B1001", "5678", "pda"); err != nil {
		t.Fatalf("login with the new PIN: %v", err)
	}

	// a badge nobody has: refused, and nothing written
	before := l.LastSeq()
	for i := 0; i < 20; i++ {
		if _, _, err := l.Login(ctx, "B7777", "1111", "pda"); ErrorCode(err) != CodeUnauthorized {
			t.Fatalf("unknown badge: %v", err)
		}
	}
	if l.LastSeq() != before {
		t.Errorf("unknown badges appended %d events", l.LastSeq()-before)
	}
}
