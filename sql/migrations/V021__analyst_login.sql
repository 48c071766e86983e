-- A login for BI tools (Metabase, Superset, Power BI, Excel …): the analyst right and nothing more.
-- agritrace_analyst stays a NOLOGIN group role; this login is a member of it, so it reads the marts
-- (personal data masked there) and the reference data, and every other schema refuses it. Its
-- sessions are read-only by default as well, so a BI tool's "write back" fails even where a
-- privilege would be missing by mistake.
--
-- No password here: a migration is code, never a secret. `agritrace db url --role analyst` sets it
-- from AGRITRACE_ANALYST_PASSWORD (or a generated one kept under .agritrace/) and prints the URL;
-- until then the login cannot authenticate. Roles belong to the whole server, hence `if not exists`.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'agritrace_analyst_login') then
        create role agritrace_analyst_login login inherit connection limit 20;
    end if;
end
$$;
grant agritrace_analyst to agritrace_analyst_login;
alter role agritrace_analyst_login set default_transaction_read_only = on;
-- A runaway dashboard query must not hold the warehouse the nightly load needs.
alter role agritrace_analyst_login set statement_timeout = '5min';
comment on role agritrace_analyst_login is
    'Read-only login for BI tools: member of agritrace_analyst (marts and reference data, personal data masked).';
