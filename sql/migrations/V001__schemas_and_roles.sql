-- The warehouse's layers and who may read them.
--   ref         reference data (products, analytes, limits, banned lists, regions)
--   staging     transient per-load tables
--   core        the clean model
--   quarantine  rejected rows with their reasons
--   mart        analyst marts
--   trace       trace-back / trace-forward lookups
--   ops         ingestion ledger, audit log, migrations
--   dq          validation history
-- The role that runs migrations and the pipeline owns everything; the three roles below only read.

create schema if not exists ref;
create schema if not exists staging;
create schema if not exists core;
create schema if not exists quarantine;
create schema if not exists mart;
create schema if not exists trace;
create schema if not exists ops;
create schema if not exists dq;

-- Roles belong to the whole server, not one database, so another agritrace database on the same
-- server may have created them already.
do $$
declare
    role_name text;
begin
    foreach role_name in array array['agritrace_analyst', 'agritrace_regulator', 'agritrace_operator']
    loop
        if not exists (select 1 from pg_roles where rolname = role_name) then
            execute format('create role %I nologin', role_name);
        end if;
    end loop;
end
$$;

-- analysts: the marts (personal data is masked there), and the reference data behind them
grant usage on schema mart, ref to agritrace_analyst;
alter default privileges in schema mart grant select on tables to agritrace_analyst;
alter default privileges in schema ref grant select on tables to agritrace_analyst;

-- regulators: trace lookups (which read core as their definer) and the reference data
grant usage on schema trace, ref to agritrace_regulator;
alter default privileges in schema trace grant execute on functions to agritrace_regulator;
alter default privileges in schema trace grant select on tables to agritrace_regulator;
alter default privileges in schema ref grant select on tables to agritrace_regulator;

-- operators: the ledger, validation history and quarantine
grant usage on schema ops, dq, quarantine to agritrace_operator;
alter default privileges in schema ops grant select on tables to agritrace_operator;
alter default privileges in schema dq grant select on tables to agritrace_operator;
alter default privileges in schema quarantine grant select on tables to agritrace_operator;

-- Functions are executable by public unless revoked; trace functions must not be.
alter default privileges in schema trace revoke execute on functions from public;
