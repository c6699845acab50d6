// The migrated database must be exactly what prisma/schema.prisma describes: the same tables,
// columns (types, nullability, defaults), primary keys, indexes, foreign keys and enums, so the
// hand-written SQL migrations and the generated Prisma client cannot drift apart.
import { getDMMF } from '@prisma/internals';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from './migrations/migration-runner';

type Datamodel = Awaited<ReturnType<typeof getDMMF>>['datamodel'];
type Field = Datamodel['models'][number]['fields'][number];

interface Column {
  type: string;
  nullable: boolean;
  /** null: no default; undefined: not checked (a default Prisma renders in a way we do not model). */
  default: string | null | undefined;
}
interface Index {
  name: string;
  unique: boolean;
  method: string;
}
interface ForeignKey {
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}
interface Table {
  columns: Map<string, Column>;
  primaryKey: { name: string; columns: string[] } | null;
  /** Keyed by the indexed columns ("a, b DESC"); the primary key is not listed here. */
  indexes: Map<string, Index>;
  /** Keyed by the referencing columns. */
  foreignKeys: Map<string, ForeignKey>;
}
interface Shape {
  tables: Map<string, Table>;
  enums: Map<string, string[]>;
}

const SCHEMA_PATH = path.resolve(__dirname, '..', '..', '..', 'prisma', 'schema.prisma');
const BOOKKEEPING_TABLE = '_prisma_migrations';

// Creating databases is slow on a busy server; jest.config's per-project testTimeout is not
// honoured by jest-circus (it reads the global one), so this file sets its own.
jest.setTimeout(60_000);

// ---- expected: schema.prisma through Prisma's own parser -------------------------------------

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

function nativeType([name, args]: [string, string[]]): string {
  const p = args.length > 0 ? `(${args.join(',')})` : '';
  const simple: Record<string, string> = {
    Uuid: 'uuid',
    Text: 'text',
    Integer: 'integer',
    SmallInt: 'smallint',
    BigInt: 'bigint',
    Oid: 'oid',
    DoublePrecision: 'double precision',
    Real: 'real',
    Boolean: 'boolean',
    Date: 'date',
    Money: 'money',
    Json: 'json',
    JsonB: 'jsonb',
    ByteA: 'bytea',
    Inet: 'inet',
    Citext: 'citext',
    Xml: 'xml',
  };
  const parametrized: Record<string, string> = {
    VarChar: `character varying${p}`,
    Char: `character${p}`,
    Decimal: `numeric${p}`,
    Bit: `bit${p}`,
    VarBit: `bit varying${p}`,
    Timestamp: `timestamp${p} without time zone`,
    Timestamptz: `timestamp${p} with time zone`,
    Time: `time${p} without time zone`,
    Timetz: `time${p} with time zone`,
  };
  return simple[name] ?? parametrized[name] ?? `unknown native type @db.${name}`;
}

function quoteType(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** Prisma's default constraint names: `<table>_<columns>_<suffix>`, cut to 63 bytes. */
function constraintName(table: string, columns: string[], suffix: string): string {
  return `${table}_${columns.join('_')}`.slice(0, 63 - suffix.length - 1) + `_${suffix}`;
}

function expectedShape(datamodel: Datamodel): Shape {
  const enumDbName = new Map(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const enumValue = (enumName: string, value: string): string =>
    datamodel.enums.find((e) => e.name === enumName)?.values.find((v) => v.name === value)
      ?.dbName ?? value;
  const models = new Map(datamodel.models.map((m) => [m.name, m]));
  const tableOf = (model: string): string => models.get(model)?.dbName ?? model;
  const columnOf = (model: string, field: string): string => {
    const f = models.get(model)?.fields.find((x) => x.name === field);
    return f?.dbName ?? field;
  };

  const columnFor = (table: string, field: Field): Column => {
    const base =
      field.kind === 'enum'
        ? `enum ${enumDbName.get(field.type) ?? field.type}`
        : field.nativeType
          ? nativeType(field.nativeType as [string, string[]])
          : (SCALAR_TYPES[field.type] ?? `unknown type ${field.type}`);
    const type = field.isList ? `${base}[]` : base;
    return {
      type,
      nullable: field.isList || !field.isRequired,
      default: defaultFor(table, field, type),
    };
  };

  const defaultFor = (table: string, field: Field, type: string): string | null | undefined => {
    const value = field.default as unknown;
    if (value === undefined) return null;
    if (typeof value === 'object' && value !== null && 'name' in value) {
      const fn = value as { name: string; args: unknown[] };
      if (fn.name === 'now') return 'CURRENT_TIMESTAMP';
      if (fn.name === 'dbgenerated') return typeof fn.args[0] === 'string' ? fn.args[0] : undefined;
      if (fn.name === 'autoincrement')
        return `nextval('${table}_${field.dbName ?? field.name}_seq'::regclass)`;
      if (['uuid', 'cuid', 'nanoid', 'ulid'].includes(fn.name)) return null; // generated by the client
      return undefined;
    }
    if (Array.isArray(value)) return value.length === 0 ? `ARRAY[]::${type}` : undefined;
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'number') return value >= 0 ? String(value) : `'${value}'::${type}`;
    if (typeof value !== 'string') return undefined;
    const literal = field.kind === 'enum' ? enumValue(field.type, value) : value;
    const cast = field.kind === 'enum' ? quoteType(enumDbName.get(field.type) ?? field.type) : type;
    return ['BigInt', 'Int', 'Float', 'Decimal'].includes(field.type)
      ? literal
      : `'${literal.replace(/'/g, "''")}'::${cast}`;
  };

  const tables = new Map<string, Table>();
  for (const model of datamodel.models) {
    const table = model.dbName ?? model.name;
    const columns = new Map<string, Column>();
    const foreignKeys = new Map<string, ForeignKey>();
    for (const field of model.fields) {
      if (field.kind === 'scalar' || field.kind === 'enum')
        columns.set(field.dbName ?? field.name, columnFor(table, field));
      const from = field.relationFromFields ?? [];
      if (field.kind === 'object' && from.length > 0) {
        const required = from.every((f) => model.fields.find((x) => x.name === f)?.isRequired);
        foreignKeys.set(from.map((f) => columnOf(model.name, f)).join(', '), {
          refTable: tableOf(field.type),
          refColumns: (field.relationToFields ?? []).map((f) => columnOf(field.type, f)),
          onDelete: field.relationOnDelete ?? (required ? 'Restrict' : 'SetNull'),
          onUpdate: (field as Field & { relationOnUpdate?: string }).relationOnUpdate ?? 'Cascade',
        });
      }
    }
    tables.set(table, { columns, primaryKey: null, indexes: new Map(), foreignKeys });
  }
  for (const index of datamodel.indexes) {
    const table = tables.get(tableOf(index.model));
    if (!table) continue;
    const names = index.fields.map((f) => columnOf(index.model, f.name));
    const key = index.fields
      .map((f, i) => `${names[i]}${f.sortOrder === 'desc' ? ' DESC' : ''}`)
      .join(', ');
    if (index.type === 'id') {
      table.primaryKey = { name: index.dbName ?? `${tableOf(index.model)}_pkey`, columns: names };
    } else if (index.type === 'unique' || index.type === 'normal') {
      const unique = index.type === 'unique';
      const algorithm = (index as { algorithm?: string }).algorithm;
      table.indexes.set(key, {
        name: index.dbName ?? constraintName(tableOf(index.model), names, unique ? 'key' : 'idx'),
        unique,
        method: (algorithm ?? 'BTree').toLowerCase(),
      });
    }
  }
  const enums = new Map(
    datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]),
  );
  return { tables, enums };
}

// ---- actual: the live database through pg_catalog -------------------------------------------

const FK_ACTIONS: Record<string, string> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

async function actualShape(client: Client): Promise<Shape> {
  const tables = new Map<string, Table>();
  const table = (name: string): Table => {
    let t = tables.get(name);
    if (!t)
      tables.set(
        name,
        (t = { columns: new Map(), primaryKey: null, indexes: new Map(), foreignKeys: new Map() }),
      );
    return t;
  };
  const relations = `JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '${BOOKKEEPING_TABLE}'`;

  const tableRows = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c ${relations}`,
  );
  for (const row of tableRows.rows) table(row.relname);

  const columns = await client.query<{
    table: string;
    column: string;
    type: string;
    nullable: boolean;
    default: string | null;
  }>(
    `SELECT c.relname AS table, a.attname AS column, NOT a.attnotnull AS nullable,
            CASE WHEN t.typtype = 'e' THEN 'enum ' || t.typname
                 WHEN et.typtype = 'e' THEN 'enum ' || et.typname || '[]'
                 ELSE format_type(a.atttypid, a.atttypmod) END AS type,
            pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       ${relations} AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  for (const r of columns.rows)
    table(r.table).columns.set(r.column, {
      type: r.type,
      nullable: r.nullable,
      default: r.default,
    });

  const indexes = await client.query<{
    table: string;
    name: string;
    unique: boolean;
    primary: boolean;
    method: string;
    keys: string[];
    partial: boolean;
  }>(
    `SELECT c.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary, am.amname AS method,
            x.indpred IS NOT NULL AS partial,
            array(SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(x.indexrelid, k.ord::int, true) ELSE a.attname::text END
                         || CASE WHEN x.indoption[k.ord - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                    FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                   WHERE k.ord <= x.indnkeyatts ORDER BY k.ord)::text[] AS keys
       FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_am am ON am.oid = i.relam ${relations}`,
  );
  for (const r of indexes.rows) {
    if (r.primary) table(r.table).primaryKey = { name: r.name, columns: r.keys };
    else
      table(r.table).indexes.set(r.keys.join(', ') + (r.partial ? ' (partial)' : ''), {
        name: r.name,
        unique: r.unique,
        method: r.method,
      });
  }

  const fks = await client.query<{
    table: string;
    columns: string[];
    ref_table: string;
    ref_columns: string[];
    del: string;
    upd: string;
  }>(
    `SELECT c.relname AS table, r.relname AS ref_table, con.confdeltype AS del, con.confupdtype AS upd,
            array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
            array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS ref_columns
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
       ${relations} AND con.contype = 'f'`,
  );
  for (const r of fks.rows) {
    table(r.table).foreignKeys.set(r.columns.join(', '), {
      refTable: r.ref_table,
      refColumns: r.ref_columns,
      onDelete: FK_ACTIONS[r.del] ?? r.del,
      onUpdate: FK_ACTIONS[r.upd] ?? r.upd,
    });
  }

  const enumRows = await client.query<{ name: string; values: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`,
  );
  return { tables, enums: new Map(enumRows.rows.map((r) => [r.name, r.values])) };
}

// ---- comparison -------------------------------------------------------------------------------

/** Every difference between schema.prisma (expected) and the database (actual), one per line. */
function compareShapes(expected: Shape, actual: Shape): string[] {
  const out: string[] = [];
  const both = <T>(
    e: Map<string, T>,
    a: Map<string, T>,
    label: (key: string) => string,
    same: (key: string, e: T, a: T) => void,
  ): void => {
    for (const [key, value] of e) {
      const other = a.get(key);
      if (other === undefined)
        out.push(`${label(key)}: in schema.prisma, missing from the database`);
      else same(key, value, other);
    }
    for (const key of a.keys())
      if (!e.has(key)) out.push(`${label(key)}: in the database, not in schema.prisma`);
  };
  const differ = (subject: string, attribute: string, e: unknown, a: unknown): void => {
    const [es, as] = [JSON.stringify(e), JSON.stringify(a)];
    if (es !== as)
      out.push(`${subject}: ${attribute} is ${as} in the database, schema.prisma says ${es}`);
  };

  both(
    expected.tables,
    actual.tables,
    (name) => `table ${name}`,
    (name, e, a) => {
      both(
        e.columns,
        a.columns,
        (col) => `column ${name}.${col}`,
        (col, ec, ac) => {
          const subject = `column ${name}.${col}`;
          differ(subject, 'type', ec.type, ac.type);
          differ(subject, 'nullable', ec.nullable, ac.nullable);
          if (ec.default !== undefined) differ(subject, 'default', ec.default, ac.default);
        },
      );
      differ(`table ${name}`, 'primary key', e.primaryKey, a.primaryKey);
      both(
        e.indexes,
        a.indexes,
        (key) => `index ${name}(${key})`,
        (key, ei, ai) => {
          const subject = `index ${name}(${key})`;
          differ(subject, 'unique', ei.unique, ai.unique);
          differ(subject, 'name', ei.name, ai.name);
          differ(subject, 'method', ei.method, ai.method);
        },
      );
      both(
        e.foreignKeys,
        a.foreignKeys,
        (key) => `foreign key ${name}(${key})`,
        (key, ef, af) => {
          const subject = `foreign key ${name}(${key})`;
          differ(
            subject,
            'references',
            `${ef.refTable}(${ef.refColumns.join(', ')})`,
            `${af.refTable}(${af.refColumns.join(', ')})`,
          );
          differ(subject, 'ON DELETE', ef.onDelete, af.onDelete);
          differ(subject, 'ON UPDATE', ef.onUpdate, af.onUpdate);
        },
      );
    },
  );
  both(
    expected.enums,
    actual.enums,
    (name) => `enum ${name}`,
    (name, e, a) => differ(`enum ${name}`, 'values', e, a),
  );
  return out;
}

// ---- tests ------------------------------------------------------------------------------------

const adminUrl =
  process.env.TEST_DATABASE_URL?.trim() || 'postgresql://postgres@127.0.0.1:5432/postgres';
let databaseName: string;
let client: Client;
let schemaText: string;
let live: Shape;

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function expectedFrom(datamodel: string): Promise<Shape> {
  return expectedShape((await getDMMF({ datamodel })).datamodel);
}

beforeAll(async () => {
  // An empty database migrated by the runner (libs/testing's template helper depends on this
  // library, so this library's own tests do not import it).
  databaseName = `gnomon_t_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${databaseName}" TEMPLATE template0`);
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  await applyMigrations({ databaseUrl: url.toString() });
  client = new Client({ connectionString: url.toString() });
  await client.connect();
  schemaText = await readFile(SCHEMA_PATH, 'utf8');
  live = await actualShape(client);
});

afterAll(async () => {
  await client?.end();
  if (databaseName) await admin(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
});

describe('schema drift between schema.prisma and the migrations', () => {
  it('the migrated database matches schema.prisma exactly', async () => {
    const expected = await expectedFrom(schemaText);
    expect([...expected.tables.keys()].sort()).toEqual([...live.tables.keys()].sort());
    expect(expected.tables.size).toBeGreaterThan(0);
    expect(compareShapes(expected, live)).toEqual([]);
  });

  it('reports each kind of schema.prisma change precisely (so the drift test cannot pass vacuously)', async () => {
    // Whitespace-tolerant edits, so re-aligning schema.prisma does not break them.
    const edits: Array<[RegExp, string]> = [
      [/(model Tenant \{\n)/, '$1  extra String\n'],
      [/(model Member \{[\s\S]*?)onDelete: Restrict/, '$1onDelete: Cascade'],
      [/(model Tenant \{[\s\S]*?)@@index\(\[createdAt, id\]\)/, '$1@@index([id, createdAt])'],
      [/(enum MemberRole \{[^}]*)\}/, '$1  GUEST\n}'],
      [/(model PlatformKey \{[\s\S]*?\blastFour\s+String)\b/, '$1?'],
      [/(model BudgetPolicy \{[\s\S]*?)@default\(80\)/, '$1@default(90)'],
      [
        /(model PlatformKey \{[\s\S]*?\brevokedAt\s+DateTime\?[^\n]*)@db\.Timestamptz\(3\)/,
        '$1@db.Timestamptz(6)',
      ],
      [/(model ApiKey \{[\s\S]*?\bsecretHash\s+String\s+)@unique /, '$1'],
    ];
    let schemaMutated = schemaText;
    for (const [from, to] of edits) {
      const next = schemaMutated.replace(from, to);
      expect(next).not.toBe(schemaMutated);
      schemaMutated = next;
    }
    const differences = compareShapes(await expectedFrom(schemaMutated), live);
    expect(differences.sort()).toEqual(
      [
        'column tenants.extra: in schema.prisma, missing from the database',
        'foreign key members(tenant_id): ON DELETE is "Restrict" in the database, schema.prisma says "Cascade"',
        'index tenants(id, created_at): in schema.prisma, missing from the database',
        'index tenants(created_at, id): in the database, not in schema.prisma',
        'enum MemberRole: values is ["OWNER","ADMIN","MEMBER","VIEWER"] in the database, schema.prisma says ["OWNER","ADMIN","MEMBER","VIEWER","GUEST"]',
        'column platform_keys.last_four: nullable is false in the database, schema.prisma says true',
        'column budget_policies.soft_threshold_pct: default is "80" in the database, schema.prisma says "90"',
        'column platform_keys.revoked_at: type is "timestamp(3) with time zone" in the database, schema.prisma says "timestamp(6) with time zone"',
        'index api_keys(secret_hash): in the database, not in schema.prisma',
      ].sort(),
    );
  });

  it('reports database-side drift: missing and extra columns, tables, indexes and foreign keys', async () => {
    await client.query('BEGIN');
    try {
      await client.query(`ALTER TABLE members DROP COLUMN name`);
      await client.query(`ALTER TABLE tenants ADD COLUMN shadow text`);
      await client.query(
        `ALTER TABLE api_keys ALTER COLUMN name DROP NOT NULL, ALTER COLUMN prefix TYPE varchar(12)`,
      );
      await client.query(`DROP INDEX api_keys_member_id_idx`);
      await client.query(`CREATE UNIQUE INDEX members_email_lower ON members (lower(email))`);
      await client.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_rotated_from_id_fkey`);
      await client.query(`CREATE TABLE stray (id int PRIMARY KEY)`);
      await client.query(`ALTER TYPE "ActorType" ADD VALUE 'ROBOT'`);
      const differences = compareShapes(await expectedFrom(schemaText), await actualShape(client));
      expect(differences.sort()).toEqual(
        [
          'column members.name: in schema.prisma, missing from the database',
          'column tenants.shadow: in the database, not in schema.prisma',
          'column api_keys.name: nullable is true in the database, schema.prisma says false',
          'column api_keys.prefix: type is "character varying(12)" in the database, schema.prisma says "text"',
          'index api_keys(member_id): in schema.prisma, missing from the database',
          'index members(lower(email)): in the database, not in schema.prisma',
          'foreign key api_keys(rotated_from_id): in schema.prisma, missing from the database',
          'table stray: in the database, not in schema.prisma',
          'enum ActorType: values is ["PLATFORM_ADMIN","API_KEY","SERVICE","SYSTEM","MEMBER","ROBOT"] in the database, schema.prisma says ["PLATFORM_ADMIN","API_KEY","SERVICE","SYSTEM","MEMBER"]',
        ].sort(),
      );
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
