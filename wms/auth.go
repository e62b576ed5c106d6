package wms

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Session is a logged-in handheld or kiosk. The cookie holds a random token;
// the store keeps only its SHA-256, so a copy of the file opens no sessions.
type Session struct {
	Badge     string    `json:"badge"`
	Started   time.Time `json:"started"`
	ExpiresAt time.Time `json:"expires_at"`
	Device    string    `json:"device,omitempty"`
}

// Token is an API token for an integration; only its SHA-256 is stored.
type Token struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Created time.Time `json:"created"`
}

// Principal is who is acting: a staff member by session, or an integration by token.
type Principal struct {
	Badge    string
	Name     string
	Role     Role
	Language string
	// MustChangePIN is set for a first login with a one-time PIN.
	MustChangePIN bool
	// Token is the integration's name when the principal came from a bearer token.
	Token string
	// Device, for a token, tells apart the handhelds or stations sharing it:
	// each is its own actor (its own picker, with its own task).
	Device string
}

// Actor is the name events record for this principal.
func (p Principal) Actor() string {
	if p.Token != "" && p.Device != "" {
		return "token:" + p.Token + "/" + p.Device
	}
	if p.Token != "" {
		return "token:" + p.Token
	}
	return p.Badge
}

// SessionLength is how long a login lasts: a long shift plus overtime.
const SessionLength = 14 * time.Hour

const pinIterations = 60_000

// HashPIN returns a salted PBKDF2-SHA256 hash of a PIN in a self-describing form.
func HashPIN(pin string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, pin, salt, pinIterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pinIterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

func checkPIN(hash, pin string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pin, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// ValidatePIN enforces the PIN rule: 4 to 8 digits.
func ValidatePIN(pin string) error {
	if len(pin) < 4 || len(pin) > 8 {
		return Errf(CodeInvalid, "pin.format")
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return Errf(CodeInvalid, "pin.format")
		}
	}
	return nil
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// RandomPIN makes a 6-digit PIN for a new account.
func RandomPIN() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// StaffMember returns one staff member.
func (l *Ledger) StaffMember(badge string) (Staff, error) {
	var s Staff
	err := l.view(func(tx *txn) (err error) {
		s, err = mustGet[Staff](tx, bucketStaff, []byte(badge), "staff.not_found", "badge", badge)
		return err
	})
	return s, err
}

// StaffList returns every staff member ordered by badge.
func (l *Ledger) StaffList() ([]Staff, error) {
	var out []Staff
	err := l.view(func(tx *txn) error {
		return tx.Bucket(bucketStaff).ForEach(func(k, v []byte) error {
			var s Staff
			if err := jsonUnmarshal(v, &s); err != nil {
				return err
			}
			out = append(out, s)
			return nil
		})
	})
	return out, err
}

// Login checks a badge and PIN. Every attempt is recorded as an event (the login
// audit trail); wrong PINs count towards a lockout. On success it returns the
// session token for the cookie.
func (l *Ledger) Login(ctx context.Context, badge, pin, device string) (token string, p Principal, err error) {
	badge = strings.TrimSpace(badge)
	now := l.Now()
	fail := func(reason string, code Code) (string, Principal, error) {
		return "", Principal{}, l.failedAttempt(ctx, badge, device, reason, code)
	}
	if !validCode(badge) {
		// not a code at all (too long, spaces, control characters): said
		// without echoing it back
		return "", Principal{}, Errf(CodeInvalid, "login.badge_not_code")
	}
	s, err := l.StaffMember(badge)
	switch {
	case ErrorCode(err) == CodeNotFound:
		// no event: a badge nobody has changes nothing, and anyone can send
		// one; the server counts these and limits them (server/loginlimit.go)
		return "", Principal{}, Errf(CodeUnauthorized, "login.unknown_badge", "badge", badge)
	case err != nil:
		return "", Principal{}, err
	case s.Disabled:
		return fail("login.disabled", CodeForbidden)
	case s.LockedUntil != nil && now.Before(*s.LockedUntil):
		return fail("login.locked", CodeForbidden)
	case !checkPIN(s.PINHash, pin):
		return fail("login.wrong_pin", CodeUnauthorized)
	}
	token = randomToken()
	ev, err := NewEvent(uuid.NewString(), EvLoginSucceeded, badge, device, LoginSucceeded{
		Badge: badge, SessionHash: hashSecret(token), ExpiresAt: now.Add(SessionLength),
	})
	if err != nil {
		return "", Principal{}, err
	}
	if _, _, err := l.Append(ctx, ev); err != nil {
		return "", Principal{}, err
	}
	return token, principalOf(s), nil
}

func principalOf(s Staff) Principal {
	return Principal{Badge: s.Badge, Name: s.Name, Role: s.Role, Language: s.Language, MustChangePIN: s.MustChangePIN}
}

// SessionPrincipal returns who holds a session token. Expired sessions and
// sessions of disabled staff are refused.
func (l *Ledger) SessionPrincipal(token string) (Principal, error) {
	var p Principal
	now := l.Now()
	err := l.view(func(tx *txn) error {
		var sess Session
		found, err := getJSON(tx.Bucket(bucketSessions), []byte(hashSecret(token)), &sess)
		if err != nil {
			return err
		}
		if !found || !now.Before(sess.ExpiresAt) {
			return Errf(CodeUnauthorized, "auth.session_expired")
		}
		var s Staff
		found, err = getJSON(tx.Bucket(bucketStaff), []byte(sess.Badge), &s)
		if err != nil {
			return err
		}
		if !found || s.Disabled {
			return Errf(CodeUnauthorized, "auth.session_expired")
		}
		p = principalOf(s)
		return nil
	})
	return p, err
}

// Logout ends a session.
func (l *Ledger) Logout(ctx context.Context, token string, p Principal, device string) error {
	ev, err := NewEvent(uuid.NewString(), EvLoggedOut, p.Actor(), device, LoggedOut{SessionHash: hashSecret(token)})
	if err != nil {
		return err
	}
	_, _, err = l.Append(ctx, ev)
	return err
}

// ChangePIN sets a new PIN after checking the current one.
func (l *Ledger) ChangePIN(ctx context.Context, p Principal, current, next, device string) error {
	s, err := l.StaffMember(p.Badge)
	if err != nil {
		return err
	}
	// a wrong current PIN counts towards the lockout as a wrong PIN at login
	// does (wrongPIN), so a session left open cannot be used to guess it
	if s.LockedUntil != nil && l.Now().Before(*s.LockedUntil) {
		return l.failedAttempt(ctx, s.Badge, device, "login.locked", CodeForbidden)
	}
	if !checkPIN(s.PINHash, current) {
		return l.failedAttempt(ctx, s.Badge, device, "pin.current_wrong", CodeInvalid)
	}
	if err := ValidatePIN(next); err != nil {
		return err
	}
	if next == current {
		return Errf(CodeInvalid, "pin.same")
	}
	hash, err := HashPIN(next)
	if err != nil {
		return err
	}
	ev, err := NewEvent(uuid.NewString(), EvPINChanged, p.Actor(), device, PINChanged{Badge: p.Badge, PINHash: hash})
	if err != nil {
		return err
	}
	_, _, err = l.Append(ctx, ev)
	return err
}

// CreateToken makes an API token for an integration and returns it. Only its
// hash is kept: the token is shown once.
func (l *Ledger) CreateToken(ctx context.Context, name string, role Role, actor string) (string, error) {
	name = strings.TrimSpace(name)
	if !validText(name) {
		return "", Errf(CodeInvalid, "token.name_invalid")
	}
	if !role.ValidForToken() {
		return "", Errf(CodeInvalid, "token.role_invalid", "role", string(role))
	}
	token := "tly_" + randomToken()
	ev, err := NewEvent(uuid.NewString(), EvTokenCreated, actor, "cli", TokenCreated{Name: name, Role: role, Hash: hashSecret(token)})
	if err != nil {
		return "", err
	}
	if _, _, err := l.Append(ctx, ev); err != nil {
		return "", err
	}
	return token, nil
}

// TokenPrincipal returns the integration a bearer token belongs to.
func (l *Ledger) TokenPrincipal(token string) (Principal, error) {
	var p Principal
	err := l.view(func(tx *txn) error {
		var t Token
		found, err := getJSON(tx.Bucket(bucketTokens), []byte(hashSecret(token)), &t)
		if err != nil {
			return err
		}
		if !found {
			return Errf(CodeUnauthorized, "auth.token_invalid")
		}
		p = Principal{Name: t.Name, Role: t.Role, Token: t.Name}
		return nil
	})
	return p, err
}

// BootstrapBadge is the admin account made on first start of an empty store.
const BootstrapBadge = "B0000"

// BootstrapAdmin creates an admin with a one-time PIN when the store has no
// staff at all, and returns the PIN (empty when staff already exist). The PIN
// must be changed at first login.
func (l *Ledger) BootstrapAdmin(ctx context.Context) (badge, pin string, err error) {
	var empty bool
	if err := l.view(func(tx *txn) error {
		k, _ := tx.Bucket(bucketStaff).Cursor().First()
		empty = k == nil
		return nil
	}); err != nil || !empty {
		return "", "", err
	}
	pin = RandomPIN()
	hash, err := HashPIN(pin)
	if err != nil {
		return "", "", err
	}
	ev, err := NewEvent(uuid.NewString(), EvStaffUpserted, "system", "startup", StaffChange{
		Badge: BootstrapBadge, Name: "Administrator", Role: RoleAdmin, PINHash: hash, MustChangePIN: true,
	})
	if err != nil {
		return "", "", err
	}
	if _, _, err := l.Append(ctx, ev); err != nil {
		return "", "", err
	}
	return BootstrapBadge, pin, nil
}

// VerifySupervisor checks a supervisor's badge and PIN for an override at a
// station (the packer stays logged in). Wrong PINs count towards the lockout.
func (l *Ledger) VerifySupervisor(ctx context.Context, badge, pin, device string) error {
	s, err := l.StaffMember(strings.TrimSpace(badge))
	if err != nil {
		return Errf(CodeForbidden, "pack.override_invalid")
	}
	if s.Role != RoleSupervisor && s.Role != RoleAdmin {
		return Errf(CodeForbidden, "pack.override_invalid")
	}
	if s.Disabled || (s.LockedUntil != nil && l.Now().Before(*s.LockedUntil)) || !checkPIN(s.PINHash, pin) {
		ev, err := NewEvent(uuid.NewString(), EvLoginFailed, badge, device, LoginFailed{Badge: badge, Reason: "login.wrong_pin"})
		if err == nil {
			_, _, err = l.Append(ctx, ev)
		}
		if err != nil {
			return err
		}
		return Errf(CodeForbidden, "pack.override_invalid")
	}
	return nil
}

// SessionsSwept removes the sessions that had expired by Before. The time is
// in the event, so a rebuild removes exactly the same ones.
type SessionsSwept struct {
	Before  time.Time `json:"before"`
	Removed int       `json:"removed,omitempty"` // decided when appended (decide.go)
}

// SweepSessions forgets expired logins, once a day (the event is keyed by
// the date): they are refused anyway, but would pile up in the file. It
// returns how many went.
func (l *Ledger) SweepSessions(ctx context.Context) (int, error) {
	ev, err := NewEvent("sessions-sweep:"+l.Today(), EvSessionsSwept, "system", "sweep", SessionsSwept{Before: l.Now()})
	if err != nil {
		return 0, err
	}
	stored, _, err := l.Append(ctx, ev)
	if err != nil {
		return 0, err
	}
	var p SessionsSwept
	err = stored.DecodeData(&p)
	return p.Removed, err
}

func applySessionsSwept(tx *txn, ev *Event) error {
	var p SessionsSwept
	if err := decode(ev, &p); err != nil {
		return err
	}
	b := tx.Bucket(bucketSessions)
	var gone [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var s Session
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("session %x: %w", k, err)
		}
		if !s.ExpiresAt.After(p.Before) {
			gone = append(gone, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range gone {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Lockout policy: this many wrong PINs in a row lock the badge for lockoutFor.
const (
	maxWrongPINs = 5
	lockoutFor   = 15 * time.Minute
)

func applyLoginSucceeded(tx *txn, ev *Event) error {
	var p LoginSucceeded
	if err := decode(ev, &p); err != nil {
		return err
	}
	found, err := updateStaff(tx, p.Badge, func(s *Staff) { s.FailedPINs, s.LockedUntil = 0, nil })
	if err != nil {
		return err
	}
	if !found {
		return Errf(CodeNotFound, "login.unknown_badge", "badge", p.Badge)
	}
	return putJSON(tx.Bucket(bucketSessions), []byte(p.SessionHash), Session{
		Badge: p.Badge, Started: ev.At, ExpiresAt: p.ExpiresAt.UTC(), Device: ev.Device,
	})
}

// updateStaff applies fn to a stored staff member; found is false when the badge is unknown.
func updateStaff(tx *txn, badge string, fn func(*Staff)) (found bool, err error) {
	b := tx.Bucket(bucketStaff)
	var s Staff
	if found, err = getJSON(b, []byte(badge), &s); err != nil || !found {
		return found, err
	}
	fn(&s)
	return true, putJSON(b, []byte(s.Badge), s)
}

func applyLoginFailed(tx *txn, ev *Event) error {
	var p LoginFailed
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !countsAsWrongPIN(p.Reason) {
		return nil // disabled or locked badges change nothing but the audit trail
	}
	_, err := updateStaff(tx, p.Badge, func(s *Staff) { wrongPIN(s, ev.At) })
	return err
}

// failedAttempt records a refused login, PIN change or override as a
// login.failed event (the audit trail; a wrong PIN counts towards the
// lockout) and returns the refusal.
func (l *Ledger) failedAttempt(ctx context.Context, badge, device, reason string, code Code) error {
	ev, err := NewEvent(uuid.NewString(), EvLoginFailed, badge, device, LoginFailed{Badge: badge, Reason: reason})
	if err == nil {
		_, _, err = l.Append(ctx, ev)
	}
	if err != nil {
		return err
	}
	return Errf(code, reason, "badge", badge)
}

// countsAsWrongPIN is true for the refusals that count towards the lockout:
// a wrong PIN at login (or a supervisor's override) and a wrong current PIN
// when changing it.
func countsAsWrongPIN(reason string) bool {
	return reason == "login.wrong_pin" || reason == "pin.current_wrong"
}

// wrongPIN counts one wrong PIN on s at the time at: the maxWrongPINs-th in
// a row locks the badge for lockoutFor. It is the one home of the lockout
// rule: the applier runs it, and the decider runs it on a copy to write the
// lockout into the event that caused it.
func wrongPIN(s *Staff, at time.Time) (locked bool) {
	s.FailedPINs++
	if s.FailedPINs < maxWrongPINs {
		return false
	}
	until := at.Add(lockoutFor).UTC()
	s.FailedPINs, s.LockedUntil = 0, &until
	return true
}

// decideLoginFailed writes into a wrong PIN's event whether it locked the
// badge (locked_until), so the audit trail shows the lockout where it
// happened. The applier does not read it: it counts with wrongPIN, which
// gives the same answer on replay.
func decideLoginFailed(tx *txn, ev *Event) error {
	var p LoginFailed
	if err := decode(ev, &p); err != nil {
		return err
	}
	p.LockedUntil = nil
	if countsAsWrongPIN(p.Reason) {
		var s Staff
		found, err := getJSON(tx.Bucket(bucketStaff), []byte(p.Badge), &s)
		if err != nil {
			return err
		}
		if found && wrongPIN(&s, ev.At) {
			p.LockedUntil = s.LockedUntil
		}
	}
	return setPayload(ev, p)
}

func applyLoggedOut(tx *txn, ev *Event) error {
	var p LoggedOut
	if err := decode(ev, &p); err != nil {
		return err
	}
	return tx.Bucket(bucketSessions).Delete([]byte(p.SessionHash))
}

func applyPINChanged(tx *txn, ev *Event) error {
	var p PINChanged
	if err := decode(ev, &p); err != nil {
		return err
	}
	found, err := updateStaff(tx, p.Badge, func(s *Staff) {
		s.PINHash, s.MustChangePIN, s.FailedPINs, s.LockedUntil = p.PINHash, false, 0, nil
	})
	if err == nil && !found {
		err = Errf(CodeNotFound, "staff.not_found", "badge", p.Badge)
	}
	return err
}

func applyTokenCreated(tx *txn, ev *Event) error {
	var p TokenCreated
	if err := decode(ev, &p); err != nil {
		return err
	}
	if !validText(p.Name) || !p.Role.ValidForToken() || len(p.Hash) != 64 {
		return Errf(CodeInvalid, "token.invalid")
	}
	return putJSON(tx.Bucket(bucketTokens), []byte(p.Hash), Token{Name: p.Name, Role: p.Role, Created: ev.At})
}
