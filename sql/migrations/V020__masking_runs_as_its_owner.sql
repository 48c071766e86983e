-- The marts became plain views over the daily summaries (V019), so their masking now runs when an
-- analyst reads them, as the analyst. ops.mask_personal and ops.mask_jsonb call their helpers in
-- schema ops (ops.resident_id_valid, ops.mask_phone …), which analysts have no usage on, and must not
-- get: the schema holds the ledger. The two functions read no table and return only masked text, so
-- they run as their owner, with a fixed search_path so no caller's schema can shadow a helper.
alter function ops.mask_personal(text) security definer set search_path = pg_catalog, pg_temp;
alter function ops.mask_jsonb(jsonb) security definer set search_path = pg_catalog, pg_temp;
