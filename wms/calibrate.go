package wms

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Calibration is a kind's standard fitted to the warehouse's own history.
type Calibration struct {
	Kind WorkKind  `json:"kind"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	N    int       `json:"n"`  // units of work fitted (temporary staff's left out)
	R2   float64   `json:"r2"` // of the least-squares fit of direct time
	// People is how many experienced people (not temporary, with at least
	// the standards' minimum of direct work) the median was taken over;
	// Scale is what the fit was multiplied by so that the median of them
	// performs at 100 %.
	People   int       `json:"people"`
	Scale    float64   `json:"scale"`
	Current  Standards `json:"current"`
	Proposed Standards `json:"proposed"` // apply with ChangeSettings
}

// Calibrate fits a kind's coefficients to the units of work finished in a
// range: non-negative least squares of each unit's direct time on its
// features, less the allowance, then scaled so that the median experienced
// person's performance is 100 %. The zone matrix's seconds are taken as
// given in the fit (its moves are not in the steps and zone changes) and
// scaled with the rest. It changes nothing; a supervisor applies
// Proposed with the settings command.
func (l *Ledger) Calibrate(from, to time.Time, kind WorkKind) (Calibration, error) {
	if !kind.Valid() {
		return Calibration{}, Errf(CodeInvalid, "kpi.kind_invalid", "kind", string(kind))
	}
	if !to.After(from) {
		return Calibration{}, Errf(CodeInvalid, "kpi.range_invalid")
	}
	s, err := l.Settings()
	if err != nil {
		return Calibration{}, err
	}
	var units []WorkUnit
	temps := map[string]bool{}
	err = l.view(func(tx *txn) error {
		if err := tx.Bucket(bucketStaff).ForEach(func(k, v []byte) error {
			var st Staff
			if err := jsonUnmarshal(v, &st); err != nil {
				return err
			}
			temps[st.Badge] = st.Temporary
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketWorkUnits).ForEach(func(k, v []byte) error {
			if parts := splitKey(k); len(parts) != 3 || parts[1] != string(kind) {
				return nil
			}
			u, err := decodeWorkUnit(v)
			if err != nil {
				return err
			}
			if u.Done && u.Direct > 0 && !u.End.Before(from) && u.End.Before(to) {
				units = append(units, u)
			}
			return nil
		})
	})
	if err == nil { // and those moved to the units file, in the live bucket's order (unitarchive.go)
		n := len(units)
		err = l.view(func(tx *txn) error {
			return newUnitReader(tx).each("", from, to, func(u WorkUnit) {
				if u.Kind == kind && u.Done && u.Direct > 0 {
					units = append(units, u)
				}
			})
		})
		if len(units) > n {
			byUnitKey(units)
		}
	}
	if err != nil {
		return Calibration{}, err
	}
	c, err := fitStandards(units, kind, s.KPIStandards(), temps)
	c.From, c.To = from, to
	return c, err
}

// fitStandards is Calibrate's arithmetic over a set of units.
func fitStandards(units []WorkUnit, kind WorkKind, std Standards, temps map[string]bool) (Calibration, error) {
	cur := std.coefs(kind)
	dim := len(cur)
	// temporary staff ramping up would bend the fit: experienced people only
	units = slices.DeleteFunc(slices.Clone(units), func(u WorkUnit) bool { return temps[u.Actor] })
	out := Calibration{Kind: kind, N: len(units), Current: std, Proposed: std, Scale: 1}
	if len(units) < 2*dim {
		return out, Errf(CodeInvalid, "kpi.calibration_too_few", "n", strconv.Itoa(len(units)), "need", strconv.Itoa(2*dim))
	}
	xs := make([][]float64, len(units))
	ys := make([]float64, len(units))
	ms := make([]float64, len(units)) // the zone matrix's standard seconds
	allow := 1 + std.AllowancePct/100
	for i, u := range units {
		ms[i] = std.matrixS(kind, u.Features)
		xs[i], ys[i] = std.vector(kind, u.Features), u.Direct.Seconds()-ms[i]*allow
	}
	beta := nnls(xs, ys)
	// R² of the fit
	var mean, ssTot, ssRes float64
	for _, u := range units {
		mean += u.Direct.Seconds()
	}
	mean /= float64(len(units))
	for i, x := range xs {
		y := units[i].Direct.Seconds()
		ssTot += (y - mean) * (y - mean)
		r := ys[i] - dot(beta, x)
		ssRes += r * r
	}
	if ssTot > 0 {
		out.R2 = round4(1 - ssRes/ssTot)
	}
	coefs := make([]float64, dim)
	for j := range dim {
		coefs[j] = beta[j] / allow
		if math.IsNaN(beta[j]) { // a feature the history never shows keeps its standard
			coefs[j] = cur[j]
		}
	}
	// the median experienced person at 100 %
	type sums struct{ earned, direct float64 }
	per := map[string]*sums{}
	for i, u := range units {
		p := per[u.Actor]
		if p == nil {
			p = &sums{}
			per[u.Actor] = p
		}
		p.earned += (dot(coefs, xs[i]) + ms[i]) * allow
		p.direct += units[i].Direct.Seconds()
	}
	var perfs []float64
	for _, p := range per {
		if p.direct >= float64(std.MinDirectMin*60) && p.direct > 0 {
			perfs = append(perfs, p.earned/p.direct)
		}
	}
	out.People = len(perfs)
	med := 1.0
	if len(perfs) > 0 {
		slices.Sort(perfs)
		med = perfs[len(perfs)/2]
		if len(perfs)%2 == 0 {
			med = (perfs[len(perfs)/2-1] + perfs[len(perfs)/2]) / 2
		}
		if med > 0 {
			out.Scale = round4(1 / med)
			for j := range coefs {
				coefs[j] /= med
			}
		}
	}
	for j := range coefs {
		coefs[j] = min(round4(coefs[j]), maxStandardS)
	}
	out.Proposed = std.withCoefs(kind, coefs)
	if kind == WorkPick && len(std.ZoneTravelS) > 0 && med > 0 {
		zt := make(map[string]float64, len(std.ZoneTravelS))
		for k, v := range std.ZoneTravelS {
			zt[k] = min(round4(v/med), maxStandardS)
		}
		out.Proposed.ZoneTravelS = zt
	}
	return out, nil
}

// nnls solves min |Xβ − y|² with β ≥ 0 by an active set: solve the normal
// equations over the free coefficients, drop the most negative, repeat.
// A feature that is zero throughout gets NaN (nothing to fit).
func nnls(xs [][]float64, ys []float64) []float64 {
	dim := len(xs[0])
	ata := make([][]float64, dim)
	atb := make([]float64, dim)
	for j := range dim {
		ata[j] = make([]float64, dim)
	}
	for i, x := range xs {
		for j := range dim {
			atb[j] += x[j] * ys[i]
			for k := range dim {
				ata[j][k] += x[j] * x[k]
			}
		}
	}
	beta := make([]float64, dim)
	free := make([]bool, dim)
	for j := range dim {
		free[j] = ata[j][j] > 0
		if !free[j] {
			beta[j] = math.NaN()
		}
	}
	for {
		var idx []int
		for j := range dim {
			if free[j] {
				idx = append(idx, j)
			}
		}
		if len(idx) == 0 {
			return beta
		}
		m := make([][]float64, len(idx))
		for a, j := range idx {
			m[a] = make([]float64, len(idx)+1)
			for b, k := range idx {
				m[a][b] = ata[j][k]
			}
			m[a][len(idx)] = atb[j]
		}
		sol := solve(m)
		worst, at := 0.0, -1
		for a, j := range idx {
			if sol[a] < worst || math.IsNaN(sol[a]) {
				worst, at = sol[a], j
				if math.IsNaN(sol[a]) {
					worst = math.Inf(-1)
				}
			}
		}
		if at < 0 {
			for a, j := range idx {
				beta[j] = sol[a]
			}
			return beta
		}
		free[at] = false
		beta[at] = 0
	}
}

// solve is Gaussian elimination with partial pivoting on an augmented
// matrix; a singular column gives NaN.
func solve(m [][]float64) []float64 {
	n := len(m)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		if math.Abs(m[c][c]) < 1e-12 {
			continue
		}
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	out := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		if math.Abs(m[r][r]) < 1e-12 {
			out[r] = math.NaN()
			continue
		}
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			if !math.IsNaN(out[k]) {
				s -= m[r][k] * out[k]
			}
		}
		out[r] = s / m[r][r]
	}
	return out
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		if !math.IsNaN(a[i]) {
			s += a[i] * b[i]
		}
	}
	return s
}

func round4(v float64) float64 { return math.Round(v*10000) / 10000 }
