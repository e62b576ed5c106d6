package wms

import (
	"encoding/json"
	"slices"
)

// archiveScanMax is feedScanMax for the archived part (a variable, so a
// test can reach it with a small archive).
var archiveScanMax = feedScanMax

// withArchived puts the archived events after q.After (of q.Types, when
// given) before what live yields: the by-type index holds live events
// only, so archived ones are found by reading their members. The second
// function says why the archived part stopped early (a damaged member).
//
// Every archived event of another type that it reads and passes over
// counts in *skipped; at archiveScanMax (feedScanMax) it stops (the by-type index does not
// cover the archive, so a rare type would otherwise read every member in
// one transaction), and the third function says so and gives the last
// sequence number it considered: the page's Next, where the reader resumes.
func withArchived(tx *txn, q FeedQuery, skipped *int, live func(*txn, FeedQuery) func() (uint64, []byte, bool)) (func() (uint64, []byte, bool), func() error, func() (uint64, bool)) {
	var stoppedAt uint64
	stopped := func() (uint64, bool) { return stoppedAt, stoppedAt != 0 }
	through, err := archivedThrough(tx)
	if err != nil {
		return func() (uint64, []byte, bool) { return 0, nil, false }, func() error { return err }, stopped
	}
	if q.After >= through {
		return live(tx, q), func() error { return nil }, stopped
	}
	c := logCursor(tx)
	k, v := c.Seek(seqKey(q.After + 1))
	var rest func() (uint64, []byte, bool)
	next := func() (uint64, []byte, bool) {
		if stoppedAt != 0 {
			return 0, nil, false
		}
		for rest == nil && k != nil && seqFromKey(k) <= through {
			seq, raw := seqFromKey(k), v
			k, v = c.Next()
			if len(q.Types) > 0 {
				var head struct {
					Type string `json:"type"`
				}
				// (one that does not decode is yielded: the page's decoding says what is wrong)
				if json.Unmarshal(raw, &head) == nil && !slices.Contains(q.Types, head.Type) {
					if *skipped++; *skipped >= archiveScanMax {
						stoppedAt = seq
						return 0, nil, false
					}
					continue
				}
			}
			return seq, raw, true
		}
		if c.Err() != nil {
			return 0, nil, false
		}
		if rest == nil {
			lq := q
			lq.After = through
			rest = live(tx, lq)
		}
		return rest()
	}
	return next, c.Err, stopped
}

// archivedKeys is otherKeys for an archived event: the key IDs its member
// kept, each with its stored record. A key whose record has left the live
// store (ids.archived moved it to an ID table) is still sent, without a
// record: a standby needs every ID to write the member byte for byte.
func archivedKeys(tx *txn, ids []string) []ReplicaKey {
	var out []ReplicaKey
	keys := tx.Bucket(bucketKeys)
	for _, id := range ids {
		k := ReplicaKey{ID: id}
		if raw := keys.Get([]byte(id)); raw != nil {
			if j, _, err := replicaKeyJSON(raw); err == nil {
				k.Record = j
			}
		}
		out = append(out, k)
	}
	return out
}

// recordless is a replicated key sent without its record (archivedKeys).
func recordless(k ReplicaKey) bool {
	return len(k.Record) == 0 || string(k.Record) == "null"
}
