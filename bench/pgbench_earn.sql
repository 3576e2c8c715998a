-- The bare SQL work of one earn against the real Vafa tables, in one transaction:
-- insert the transfer (issued -> member) and its lot, update the member's cached balance
-- (the UPDATE takes the member's row lock, as the app's SELECT ... FOR UPDATE does).
-- The ledger stays consistent, so verify-ledger still passes afterwards. The columns are
-- those of vafa/ledger/models.py (the same as the app's hot path in vafa/ledger/book.py):
-- when a NOT NULL column is added there, add it here and in run.py's SQLITE_EARN too.
-- Run by bench/run.py as:
--   pgbench -n -c 16 -j 2 -T 20 -f bench/pgbench_earn.sql \
--           -D amin=<first member account id> -D amax=<last> -D issued=<issued account id> -D mid=<merchant id>
\set aid random(:amin, :amax)
\set pts random(1, 500)
BEGIN;
INSERT INTO ledger_transfer (debit_id, credit_id, amount, kind, merchant_id, issuer_id, source_kind, source_id,
                             rule, memo, reverses_id, created_at)
     VALUES (:issued, :aid, :pts, 'earn', :mid, :mid, 'pgbench', NULL, 'base', 'pgbench earn', NULL, now())
  RETURNING id AS tid \gset
INSERT INTO ledger_lot (account_id, transfer_id, merchant_id, amount, remaining, expired, available_at,
                        expires_at, created_at)
     VALUES (:aid, :tid, :mid, :pts, :pts, 0, now(), now() + interval '12 months', now());
UPDATE ledger_account SET balance = balance + :pts WHERE id = :aid;
END;
