-- openidv's database and its two roles, on PostgreSQL 15+ (docs/operations.md). As postgres:
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -f /opt/openidv/deploy/postgresql/openidv-roles.sql
-- Other names: add -v db=… -v owner=… -v app=…  Then give the roles passwords:
--   sudo -u postgres psql -c '\password openidv_owner' -c '\password openidv_app'
--
-- openidv_owner owns the tables: `openidv migrate` runs as it, before new code starts.
-- openidv_app is what the services connect as: it reads and writes rows and cannot change
-- the schema, so a compromised service cannot drop or alter tables.

\if :{?db}
\else
  \set db openidv
\endif
\if :{?owner}
\else
  \set owner openidv_owner
\endif
\if :{?app}
\else
  \set app openidv_app
\endif

CREATE ROLE :"owner" LOGIN;
CREATE ROLE :"app" LOGIN;
CREATE DATABASE :"db" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";

\connect :"db"
-- New PostgreSQL 15 clusters already keep others from creating in schema public; a cluster
-- upgraded from an older version may not. Here no one but the owner uses it unless granted.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- Every table and sequence the owner creates, now and in later migrations.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
