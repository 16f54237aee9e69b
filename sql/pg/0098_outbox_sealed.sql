-- 0098_outbox_sealed: an SMS to a bare mobile (a resident who is no member: the service
-- request's follow code, issue 18) carries its number and its parameters sealed on the
-- row (AEAD, ad "outbox.mobile" / "outbox.params"); such a row's params are '{}' and its
-- body the template's text unfilled, so the monitor shows nothing secret.
ALTER TABLE outbox ADD COLUMN to_cipher BYTEA;
ALTER TABLE outbox ADD COLUMN params_cipher BYTEA;
