-- Version 12 (after 0011): a record's number is final when it is stored, drawn from the
-- id of the transaction that stores it: 2^40 + (xid << 8) + its place among that
-- transaction's records (`postgres/records.rs`, `FEED_FROM`; ADR 15). A pull reads only
-- below the first number any open transaction could hold, so the cursor still never
-- passes a record that commits later, and no lock orders the pushes. Version 9's
-- provisional numbers and their renumbering at the commit are gone: every number
-- stored is below 2^40 or drawn this way, none in between, none renumbered.
DROP SEQUENCE records_provisional;
