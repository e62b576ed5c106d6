package wms

import (
	"encoding/json"
	"slices"
)

// withArchived puts the archived events after q.After (of q.Types, when
// given) before what live yields: the by-type index holds live events
// only, so archived ones are found by reading their members. The second
// function says why the archived part stopped early (a damaged member).
func withArchived(tx *txn, q FeedQuery, live func(*txn, FeedQuery) func() (uint64, []byte, bool)) (func() (uint64, []byte, bool), func() error) {
	through, err := archivedThrough(tx)
	if err != nil {
		return func() (uint64, []byte, bool) { return 0, nil, false }, func() error { return err }
	}
	if q.After >= through {
		return live(tx, q), func() error { return nil }
	}
	c := logCursor(tx)
	k, v := c.Seek(seqKey(q.After + 1))
	var rest func() (uint64, []byte, bool)
	next := func() (uint64, []byte, bool) {
		for rest == nil && k != nil && seqFromKey(k) <= through {
			seq, raw := seqFromKey(k), v
			k, v = c.Next()
			if len(q.Types) > 0 {
				var head struct {
					Type string `json:"type"`
				}
				// (one that does not decode is yielded: the page's decoding says what is wrong)
				if json.Unmarshal(raw, &head) == nil && !slices.Contains(q.Types, head.Type) {
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
	return next, c.Err
}

// archivedKeys is otherKeys for an archived event: the key IDs its member
// kept, each with its stored record.
func archivedKeys(tx *txn, ids []string) []ReplicaKey {
	var out []ReplicaKey
	keys := tx.Bucket(bucketKeys)
	for _, id := range ids {
		if raw := keys.Get([]byte(id)); raw != nil {
			if j, _, err := replicaKeyJSON(raw); err == nil {
				out = append(out, ReplicaKey{ID: id, Record: j})
			}
		}
	}
	return out
}
