package wms

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestLogin(t *testing.T) {
	l, clock := openTest(t)
	ctx := context.Background()
	hash, _ := HashPIN("4321")
	mustAppend(t, l, "staff-1", EvStaffUpserted, StaffChange{Badge: "B1001", Name: "张伟", Role: RolePicker, PINHash: hash})
	mustAppend(t, l, "staff-2", EvStaffUpserted, StaffChange{Badge: "B1002", Name: "李娜", Role: RolePicker, PINHash: hash, Disabled: true})

	cases := []struct {
		name, badge, pin string
		key              string
		code             Code
	}{
		{"unknown badge", "B9999", "4321", "login.unknown_badge", CodeUnauthorized},
		{"disabled", "B1002", "4321", "login.disabled", CodeForbidden},
		{"wrong pin", "B1001", "1234", "login.wrong_pin", CodeUnauthorized},
		{"empty pin", "B1001", "", "login.wrong_pin", CodeUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := l.Login(ctx, tc.badge, tc.pin, "pda")
			if e, ok := AsError(err); !ok || e.Key != tc.key || e.Code != tc.code {
				t.Fatalf("err = %v, want %s/%s", err, tc.key, tc.code)
			}
		})
	}
	tok, p, err := l.Login(ctx, "B1001", "4321", "pda")
	if err != nil || p.Role != RolePicker {
		t.Fatalf("login: %v %+v", err, p)
	}
	if got, err := l.SessionPrincipal(tok); err != nil || got.Badge != "B1001" {
		t.Fatalf("session: %v %+v", err, got)
	}
	if _, err := l.SessionPrincipal("forged"); ErrorCode(err) != CodeUnauthorized {
		t.Errorf("forged session: %v", err)
	}
	clock.Add(SessionLength)
	if _, err := l.SessionPrincipal(tok); ErrorCode(err) != CodeUnauthorized {
		t.Errorf("expired session accepted: %v", err)
	}
	// the audit trail has every attempt on a badge that exists, newest
	// first; a badge nobody has writes nothing (the server counts those)
	audit, err := l.EventsOfType(100, EvLoginSucceeded, EvLoginFailed)
	if err != nil || len(audit) != 4 || audit[0].Type != EvLoginSucceeded {
		t.Errorf("audit = %d events (%v), want 4 with the success first", len(audit), err)
	}
}

func TestLockoutAfterWrongPINs(t *testing.T) {
	l, clock := openTest(t)
	ctx := context.Background()
	hash, _ := HashPIN("4321")
	mustAppend(t, l, "staff-1", EvStaffUpserted, StaffChange{Badge: "B1001", Name: "张伟", Role: RolePicker, PINHash: hash})
	for i := 0; i < maxWrongPINs; i++ {
		if _, _, err := l.Login(ctx, "B1001", "0000", "pda"); ErrorCode(err) != CodeUnauthorized {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, _, err := l.Login(ctx, "B1001", "4321", "pda")
	if e, ok := AsError(err); !ok || e.Key != "login.locked" {
		t.Fatalf("right PIN while locked: %v", err)
	}
	clock.Add(lockoutFor)
	if _, _, err := l.Login(ctx, "B1001", "4321", "pda"); err != nil {
		t.Fatalf("after lockout: %v", err)
	}
	s, _ := l.StaffMember("B1001")
	if s.FailedPINs != 0 || s.LockedUntil != nil {
		t.Errorf("success did not reset the counter: %+v", s)
	}
}

func TestSessionsAndTokensSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	badge, pin, err := l.BootstrapAdmin(ctx)
	if err != nil || badge != BootstrapBadge || len(pin) != 6 {
		t.Fatalf("bootstrap: %q %q %v", badge, pin, err)
	}
	if b, _, _ := l.BootstrapAdmin(ctx); b != "" {
		t.Fatal("second bootstrap made another admin")
	}
	tok, p, err := l.Login(ctx, badge, pin, "kiosk")
	if err != nil || !p.MustChangePIN {
		t.Fatalf("login with one-time PIN: %v %+v", err, p)
	}
	api, err := l.CreateToken(ctx, "central OMS", RoleSupervisor, "cli")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()

	l, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if p, err := l.SessionPrincipal(tok); err != nil || p.Badge != badge {
		t.Fatalf("session after restart: %v", err)
	}
	if p, err := l.TokenPrincipal(api); err != nil || p.Role != RoleSupervisor || p.Actor() != "token:central OMS" {
		t.Fatalf("token after restart: %v %+v", err, p)
	}
	if err := l.ChangePIN(ctx, p, "000000", "2468", "kiosk"); ErrorCode(err) != CodeInvalid {
		t.Errorf("change with wrong current PIN: %v", err)
	}
	if err := l.ChangePIN(ctx, p, pin, "24a8", "kiosk"); ErrorCode(err) != CodeInvalid {
		t.Errorf("non-digit PIN accepted: %v", err)
	}
	if err := l.ChangePIN(ctx, p, pin, "2468", "kiosk"); err != nil {
		t.Fatal(err)
	}
	if _, p, err := l.Login(ctx, badge, "2468", "kiosk"); err != nil || p.MustChangePIN {
		t.Fatalf("login with new PIN: %v %+v", err, p)
	}
	if err := l.Logout(ctx, tok, p, "kiosk"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SessionPrincipal(tok); ErrorCode(err) != CodeUnauthorized {
		t.Errorf("session after logout: %v", err)
	}
	_ = time.Now
}

// The daily sweep forgets expired logins and keeps live ones; a second sweep
// the same day is the same event.
func TestSweepSessions(t *testing.T) {
	l, clock := openTest(t)
	ctx := context.Background()
	hash, _ := HashPIN("4321")
	mustAppend(t, l, "staff-1", EvStaffUpserted, StaffChange{Badge: "B1001", Name: "张伟", Role: RolePicker, PINHash: hash})
	old, _, err := l.Login(ctx, "B1001", "4321", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(10 * time.Hour)
	live, _, err := l.Login(ctx, "B1001", "4321", "pda-2")
	if err != nil {
		t.Fatal(err)
	}
	sessions := func() int {
		n := 0
		if err := l.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketSessions).Stats().KeyN; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n, err := l.SweepSessions(ctx); err != nil || n != 0 || sessions() != 2 {
		t.Fatalf("sweep before anything expired: removed %d (%v), %d left", n, err, sessions())
	}
	clock.Add(SessionLength - 10*time.Hour) // local midnight: the next day, the first login just over
	if n, err := l.SweepSessions(ctx); err != nil || n != 1 || sessions() != 1 {
		t.Fatalf("sweep: removed %d (%v), %d left; want 1 and 1", n, err, sessions())
	}
	if _, err := l.SessionPrincipal(old); ErrorCode(err) != CodeUnauthorized {
		t.Errorf("swept session: %v", err)
	}
	seq := l.LastSeq()
	if n, err := l.SweepSessions(ctx); err != nil || n != 1 || l.LastSeq() != seq {
		t.Errorf("second sweep the same day: removed %d (%v), seq %d → %d", n, err, seq, l.LastSeq())
	}
	if p, err := l.SessionPrincipal(live); err != nil || p.Badge != "B1001" {
		t.Errorf("live session after the sweep: %v", err)
	}
}
