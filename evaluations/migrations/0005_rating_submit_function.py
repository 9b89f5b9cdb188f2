"""The worker's rating as one statement on PostgreSQL: the function ``hezuo_rating_submit``.

A rating is the hottest write there is (a hall of workers scanning one QR code), and its
transaction is small and always the same: check the link, insert the rating, append its
audit event, add it to the month's score. Sent from Python that is a dozen statements and
several round trips; here it is one call, its plans cached by PL/pgSQL.

The function does the common case only and leaves everything else to the ordinary path
in Python (``evaluations.services.ratings``): it checks and locks first, and declines
(``declined`` says why) before writing anything: a link that cannot be rated now, a device
that already rated, the month's first input (no row yet), a closed month (its summary is
issued again), and a month this rating fails (its order is issued). What it shares with the
Python code, and the tests that hold them together:

* the link's checks (``rating_problem``): the activity's day within the window, the
  contract in force;
* the month's score (``scoring.period_score``), as ``hezuo_period_score``: a Hypothesis
  test compares the two;
* the audit event: its text to hash comes from ``core.audit.digest_template``, filled in
  here, so ``verify_chain`` checks it like any other; ``str(rating)`` as its object_repr;
* the lock order of every audited write of a month: the activity, contract and palace
  (key share), then the audit head, then the month.

SQLite has no such function: there the ordinary path does it all.
"""

from django.db import migrations

SQL = r"""
-- PL/pgSQL rather than LANGUAGE sql: a SQL function called from PL/pgSQL is planned anew on every call.
CREATE OR REPLACE FUNCTION hezuo_period_score(
    inspections_total numeric, inspections_count integer, reports_total numeric, reports_count integer,
    ratings_total integer, ratings_count integer, kpi numeric,
    w_inspections integer, w_reports integer, w_satisfaction integer, w_kpi integer, min_ratings integer
) RETURNS numeric LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    weight integer := 0;
    weighted numeric := 0;
BEGIN
    IF inspections_count > 0 AND w_inspections > 0 THEN
        weight := weight + w_inspections;
        weighted := weighted + w_inspections * least(greatest(round(inspections_total / inspections_count, 2), 0), 100);
    END IF;
    IF reports_count > 0 AND w_reports > 0 THEN
        weight := weight + w_reports;
        weighted := weighted + w_reports * least(greatest(round(reports_total / reports_count, 2), 0), 100);
    END IF;
    IF ratings_count >= min_ratings AND ratings_count > 0 AND w_satisfaction > 0 THEN
        weight := weight + w_satisfaction;
        weighted := weighted + w_satisfaction * least(greatest(round(ratings_total::numeric / ratings_count, 2), 0), 100);
    END IF;
    IF kpi IS NOT NULL AND w_kpi > 0 THEN
        weight := weight + w_kpi;
        weighted := weighted + w_kpi * least(greatest(kpi, 0), 100);
    END IF;
    IF weight = 0 THEN
        RETURN NULL;
    END IF;
    RETURN round(weighted / weight, 2);
END
$$;

CREATE OR REPLACE FUNCTION hezuo_rating_submit(
    p_token text, p_stars integer, p_points integer, p_comment text, p_device text, p_now timestamptz,
    p_earliest date, p_today date, p_async boolean, p_pieces text,
    p_fields text[], p_in_force text[], p_orders_in text[], p_score_trigger text,
    p_min_ratings integer, p_weights integer[], p_pass numeric, p_green numeric,
    OUT rating_id bigint, OUT activity_id bigint, OUT contract_id bigint, OUT declined text
) LANGUAGE plpgsql AS $$
DECLARE
    a record; h record; p record; pieces text[] := string_to_array(p_pieces, chr(31));
    w integer[]; v_total integer; v_count integer; v_score numeric; v_standing text; v_repr text; v_blob text;
    v_digest text; v_event jsonb;
BEGIN
    -- Everything is checked and locked before anything is written; a decline writes nothing and
    -- raises nothing (the server's log would keep the statement, the worker's comment with it).
    SELECT ac.id, ac.contract_id, ac.palace_id, ac.date, ac.title, c.state, c.palace_id AS contract_palace
      INTO a
      FROM evaluations_ratinglink l
      JOIN contracts_activity ac ON ac.id = l.activity_id
      JOIN contracts_contract c ON c.id = ac.contract_id
      JOIN core_palace pa ON pa.id = ac.palace_id
     WHERE l.token = p_token
       FOR KEY SHARE OF ac, c, pa;
    IF NOT FOUND OR a.date > p_today OR a.date < p_earliest OR NOT a.state = ANY (p_in_force) THEN
        declined := 'link';
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM evaluations_rating r WHERE r.activity_id = a.id AND r.device = p_device) THEN
        declined := 'repeat';  -- and if another POST of this device gets in first, the unique index says so
        RETURN;
    END IF;
    SELECT seq, hash INTO h FROM core_audithead WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        declined := 'no audit head';
        RETURN;
    END IF;
    SELECT * INTO p FROM evaluations_periodscore ps
     WHERE ps.contract_id = a.contract_id AND ps.month = date_trunc('month', a.date)::date FOR UPDATE;
    IF NOT FOUND THEN
        declined := 'first input of the month';
        RETURN;
    ELSIF p.closed THEN
        declined := 'closed month';
        RETURN;
    END IF;
    SELECT ARRAY[iw.inspections, iw.reports, iw.satisfaction, iw.kpi] INTO w
      FROM evaluations_indicatorweights iw WHERE iw.palace_id = a.contract_palace;
    w := coalesce(w, p_weights);
    v_total := p.ratings_total + p_points;
    v_count := p.ratings_count + 1;
    v_score := hezuo_period_score(p.inspections_total, p.inspections_count, p.reports_total, p.reports_count,
                                v_total, v_count, p.kpi, w[1], w[2], w[3], w[4], p_min_ratings);
    v_standing := CASE WHEN p.red_lines > 0 OR v_score < p_pass THEN 'red' WHEN v_score IS NULL THEN 'none'
                     WHEN v_score >= p_green THEN 'green' ELSE 'amber' END;
    IF v_score < p_pass AND a.state = ANY (p_orders_in) AND NOT EXISTS (
            SELECT 1 FROM evaluations_rectificationorder o WHERE o.period_id = p.id AND o.trigger = p_score_trigger) THEN
        declined := 'the month fails';
        RETURN;
    END IF;

    IF p_async THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    INSERT INTO evaluations_rating (stars, comment, device, created_at, activity_id, contract_id)
         VALUES (p_stars, p_comment, p_device, p_now, a.id, a.contract_id)
      RETURNING id INTO rating_id;
    UPDATE evaluations_periodscore
       SET ratings_total = v_total, ratings_count = v_count, score = v_score,
           standing = v_standing, updated_at = p_now
     WHERE id = p.id;
    -- The event's text, as core.audit.digest_template cut it, with this statement's values filled in;
    -- the row's columns are read back from that text, so what is stored is what was hashed.
    v_repr := left(to_char(a.date, 'YYYY-MM-DD') || ' ' || a.title || ' ★' || p_stars, 200);
    v_blob := pieces[1];
    FOR i IN 1 .. array_length(p_fields, 1) LOOP
        v_blob := v_blob || CASE p_fields[i]
            WHEN 'seq' THEN (h.seq + 1)::text
            WHEN 'prev_hash' THEN to_json(h.hash)::text
            WHEN 'object_id' THEN to_json(rating_id::text)::text
            WHEN 'object_repr' THEN to_json(v_repr)::text
            WHEN 'palace_id' THEN a.palace_id::text
            WHEN 'activity' THEN a.id::text
        END || pieces[i + 1];
    END LOOP;
    v_digest := encode(sha256(convert_to(v_blob, 'UTF8')), 'hex');
    v_event := v_blob::jsonb;
    INSERT INTO core_auditevent (seq, created_at, actor_label, ip, object_type, object_id, object_repr, action,
                                 before, after, prev_hash, hash, actor_id, palace_id)
         VALUES (h.seq + 1, p_now, v_event->>'actor_label', (v_event->>'ip')::inet, v_event->>'object_type',
                 rating_id::text, v_repr, v_event->>'action', nullif(v_event->'before', 'null'::jsonb),
                 nullif(v_event->'after', 'null'::jsonb), h.hash, v_digest, (v_event->>'actor_id')::bigint,
                 a.palace_id);
    UPDATE core_audithead SET seq = h.seq + 1, hash = v_digest WHERE id = 1;
    activity_id := a.id;
    contract_id := a.contract_id;
END
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS hezuo_rating_submit(text, integer, integer, text, text, timestamptz, date, date, boolean, text,
                                           text[], text[], text[], text, integer, integer[], numeric, numeric);
DROP FUNCTION IF EXISTS hezuo_period_score(numeric, integer, numeric, integer, integer, integer, numeric,
                                          integer, integer, integer, integer, integer);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0004_renewal_and_exit"),
        ("core", "0002_audit_indexes"),
        ("evaluations", "0004_rating_activity_index"),
    ]

    operations = [migrations.RunPython(create, drop)]
