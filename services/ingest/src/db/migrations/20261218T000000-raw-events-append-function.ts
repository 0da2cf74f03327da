import { sql, type Kysely } from 'kysely';

/**
 * One org's append in one statement, so one round trip and no explicit transaction: the caller sends
 * the rows already chained from the head it believes current (ingest caches each org's head). Under
 * the head's row lock the function checks that belief and that no event of the batch is stored; if
 * either fails it stores nothing and answers the real head and the stored ids, and the caller chains
 * again from those. Five round trips per append became one; PL/pgSQL keeps the statements' plans.
 * SECURITY INVOKER (the default): it runs with the calling role's rights, which can insert rows and
 * move heads but never update or delete a row of raw_events.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function append_events(p_org uuid, p_genesis bytea, p_expected_head bytea, p_ids uuid[], p_rows jsonb, p_last_hash bytea)
    returns jsonb language plpgsql as $fn$
    declare
      v_head bytea;
      v_stored jsonb;
      v_appended bigint;
    begin
      -- Creates the head or, through a no-op update, takes its row lock and reads it. ON CONFLICT DO
      -- UPDATE acts on the newest committed version, so a wait ends with the hash the holder left.
      insert into chain_heads as h (org_id, last_seq, last_hash) values (p_org, 0, p_genesis)
      on conflict (org_id) do update set last_seq = h.last_seq
      returning h.last_hash into v_head;
      -- One index probe per id, whatever the statistics say (LIMIT keeps the lateral subquery from
      -- being flattened into a join that reads every row of the org).
      select jsonb_agg(jsonb_build_array(r.event_id, r.ingest_seq::text)) into v_stored
      from unnest(p_ids) as i(id)
      cross join lateral (select event_id, ingest_seq from raw_events where org_id = p_org and event_id = i.id limit 1) r;
      if v_stored is not null or p_rows is null or p_expected_head is distinct from v_head then
        return jsonb_build_object('head', encode(v_head, 'hex'), 'stored', coalesce(v_stored, '[]'::jsonb));
      end if;
      -- Rows are [event_id, occurred_at, hash (hex), ingest_seq, producer_id, source, type, dataschema,
      -- envelope] in chain order; prev_hash is the previous row's hash, the head's for the first.
      with batch as (
        select (r->>0)::uuid as e, (r->>1)::timestamptz as o, decode(r->>2, 'hex') as h, (r->>3)::bigint as q,
          r->>4 as p, r->>5 as s, r->>6 as t, r->>7 as d, r->8 as v, n
        from jsonb_array_elements(p_rows) with ordinality as x(r, n)
      ),
      inserted as (
        insert into raw_events (org_id, event_id, producer_id, source, type, dataschema, occurred_at, envelope, prev_hash, hash, ingest_seq)
        select p_org, e, p, s, t, d, o, v, coalesce(lag(h) over (order by n), v_head), h, q
        from batch
        order by n
        returning seq
      )
      update chain_heads set last_seq = (select max(seq) from inserted), last_hash = p_last_hash
      where org_id = p_org
      returning (select count(*) from inserted) into v_appended;
      return jsonb_build_object('appended', v_appended);
    end $fn$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists append_events(uuid, bytea, bytea, uuid[], jsonb, bytea)`.execute(db);
}
