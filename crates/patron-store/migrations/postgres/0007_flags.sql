-- Switches an install flips at run time, for every process at once. `read_only`: set by
-- `patron relocate --live` while it copies the last changes; every process refuses writes
-- (web) and claims no jobs (worker, scheduler) while it is there. Keep in step with
-- ../sqlite/.
CREATE TABLE patron_flags (
    name       TEXT   PRIMARY KEY NOT NULL,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
