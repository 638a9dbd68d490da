-- Vedetta schema, PostgreSQL dialect, version 9: the last TOTP time step each user
-- logged in with, so that a code is accepted once across every instance
-- sharing the database (it was remembered per process).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
