"""The SQL that keeps care.activity_models up to date with care_contact: a trigger for each
insert, update and delete (in the contact's own transaction), a TRUNCATE trigger, and the
set-based rebuild used after a bulk load with triggers off. Used by migration
0003_activity_rollups and by care.scale."""

MONTH = "date_trunc('month', {r}.contacted_on)::date"

TRIGGER = f"""
CREATE OR REPLACE FUNCTION care_contact_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.pcn_id IS NOT NULL THEN
        UPDATE care_contactmonth SET contacts = contacts - 1, minutes = minutes - OLD.minutes
        WHERE pcn_id = OLD.pcn_id AND month = {MONTH.format(r="OLD")} AND by_id = coalesce(OLD.by_id, 0)
          AND category = OLD.category AND channel = OLD.channel;
        DELETE FROM care_contactmonth
        WHERE pcn_id = OLD.pcn_id AND month = {MONTH.format(r="OLD")} AND by_id = coalesce(OLD.by_id, 0)
          AND category = OLD.category AND channel = OLD.channel AND contacts <= 0;
        DELETE FROM care_personmonth pm
        WHERE pm.pcn_id = OLD.pcn_id AND pm.month = {MONTH.format(r="OLD")} AND pm.by_id = coalesce(OLD.by_id, 0)
          AND pm.patient_id = OLD.patient_id
          AND NOT EXISTS (SELECT 1 FROM care_contact c WHERE c.patient_id = OLD.patient_id AND c.id <> OLD.id
                            AND c.pcn_id = OLD.pcn_id AND coalesce(c.by_id, 0) = coalesce(OLD.by_id, 0)
                            AND c.contacted_on >= {MONTH.format(r="OLD")}
                            AND c.contacted_on < {MONTH.format(r="OLD")} + interval '1 month');
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE care_lastcontact SET contacted_on = m.latest
        FROM (SELECT max(contacted_on) AS latest FROM care_contact WHERE patient_id = OLD.patient_id AND id <> OLD.id) m
        WHERE care_lastcontact.patient_id = OLD.patient_id AND m.latest IS NOT NULL;
        DELETE FROM care_lastcontact l WHERE l.patient_id = OLD.patient_id
          AND NOT EXISTS (SELECT 1 FROM care_contact c WHERE c.patient_id = OLD.patient_id AND c.id <> OLD.id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO care_lastcontact (patient_id, contacted_on) VALUES (NEW.patient_id, NEW.contacted_on)
        ON CONFLICT (patient_id) DO UPDATE SET contacted_on = greatest(care_lastcontact.contacted_on,
                                                                       EXCLUDED.contacted_on);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.pcn_id IS NOT NULL THEN
        INSERT INTO care_contactmonth (pcn_id, by_id, month, category, channel, contacts, minutes)
        VALUES (NEW.pcn_id, coalesce(NEW.by_id, 0), {MONTH.format(r="NEW")}, NEW.category, NEW.channel, 1, NEW.minutes)
        ON CONFLICT (pcn_id, month, by_id, category, channel)
        DO UPDATE SET contacts = care_contactmonth.contacts + 1,
                      minutes = care_contactmonth.minutes + EXCLUDED.minutes;
        INSERT INTO care_personmonth (pcn_id, month, by_id, patient_id)
        VALUES (NEW.pcn_id, {MONTH.format(r="NEW")}, coalesce(NEW.by_id, 0), NEW.patient_id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION care_contact_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- DELETE, not TRUNCATE: a TRUNCATE of several tables at once (Django's flush) may
    -- already hold these, and a nested TRUNCATE of them is refused.
    DELETE FROM care_contactmonth;
    DELETE FROM care_personmonth;
    DELETE FROM care_lastcontact;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS care_contact_rollup ON care_contact;
CREATE TRIGGER care_contact_rollup AFTER INSERT OR UPDATE OR DELETE ON care_contact
    FOR EACH ROW EXECUTE FUNCTION care_contact_rollup();
DROP TRIGGER IF EXISTS care_contact_rollup_truncate ON care_contact;
CREATE TRIGGER care_contact_rollup_truncate AFTER TRUNCATE ON care_contact
    FOR EACH STATEMENT EXECUTE FUNCTION care_contact_rollup_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS care_contact_rollup ON care_contact;
DROP TRIGGER IF EXISTS care_contact_rollup_truncate ON care_contact;
DROP FUNCTION IF EXISTS care_contact_rollup();
DROP FUNCTION IF EXISTS care_contact_rollup_truncate();
"""

REBUILD = f"""
DELETE FROM care_contactmonth;
DELETE FROM care_personmonth;
DELETE FROM care_lastcontact;
INSERT INTO care_lastcontact (patient_id, contacted_on)
SELECT patient_id, max(contacted_on) FROM care_contact GROUP BY 1;
INSERT INTO care_contactmonth (pcn_id, by_id, month, category, channel, contacts, minutes)
SELECT pcn_id, coalesce(by_id, 0), {MONTH.format(r="c")}, category, channel, count(*), sum(minutes)
FROM care_contact c WHERE pcn_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
INSERT INTO care_personmonth (pcn_id, month, by_id, patient_id)
SELECT DISTINCT pcn_id, {MONTH.format(r="c")}, coalesce(by_id, 0), patient_id
FROM care_contact c WHERE pcn_id IS NOT NULL;
"""
