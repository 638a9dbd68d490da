// Package auth holds Vedetta's authentication primitives: argon2id password
// hashing in PHC string form and the password policy, TOTP second factors
// (RFC 6238), session, CSRF and API token generation, in-memory login
// throttling by client IP and username, the account lockout policy kept in
// store.User, the Authenticator that ties them together for a password login,
// and the role → permission table.
//
// Concurrency: Hasher, the token and TOTP functions and Allows are pure and
// safe for concurrent use. Throttle and Authenticator are
// safe for concurrent use; each guards its state with one mutex and never
// holds it while calling out.
//
// Time is always passed in (now time.Time) or injected (Options.Now), so the
// package never sleeps and tests control the clock.
//
// Depends only on the store.User and store.Role types and on the narrow
// UserStore interface declared here, which any store.Store satisfies.
package auth
