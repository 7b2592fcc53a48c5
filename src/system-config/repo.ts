import type { Queryable } from '../platform/db/index.js';
import type { ConfigDefinition, ConfigRecord, ConfigValueType } from './schema.js';

interface ConfigRow {
  key: string;
  value: unknown;
  value_type: ConfigValueType;
  description: string | null;
  is_sensitive: boolean;
  is_readonly: boolean;
  min_value: string | number | null;
  max_value: string | number | null;
  updated_at: Date;
}

const COLUMNS = 'key, value, value_type, description, is_sensitive, is_readonly, min_value, max_value, updated_at';

export function createSystemConfigRepo(db: Queryable) {
  return {
    async listAll(): Promise<ConfigRecord[]> {
      const rows = await db.many<ConfigRow>(`SELECT ${COLUMNS} FROM system_config ORDER BY key`);
      return rows.map(toRecord);
    },

    async findByKey(key: string): Promise<ConfigRecord | null> {
      const row = await db.maybeOne<ConfigRow>(`SELECT ${COLUMNS} FROM system_config WHERE key = $1`, [key]);
      return row && toRecord(row);
    },

    async updateValue(key: string, value: unknown): Promise<ConfigRecord | null> {
      const row = await db.maybeOne<ConfigRow>(
        `UPDATE system_config SET value = $2::jsonb WHERE key = $1 RETURNING ${COLUMNS}`,
        [key, JSON.stringify(value)],
      );
      return row && toRecord(row);
    },

    async upsert(key: string, def: ConfigDefinition): Promise<ConfigRecord> {
      const row = await db.one<ConfigRow>(
        `INSERT INTO system_config (key, value, value_type, description, is_sensitive, is_readonly, min_value, max_value)
         VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, value_type = EXCLUDED.value_type,
           description = EXCLUDED.description, is_sensitive = EXCLUDED.is_sensitive,
           is_readonly = EXCLUDED.is_readonly, min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value
         RETURNING ${COLUMNS}`,
        [
          key,
          JSON.stringify(def.value),
          def.valueType,
          def.description ?? null,
          def.isSensitive ?? false,
          def.isReadonly ?? false,
          def.minValue ?? null,
          def.maxValue ?? null,
        ],
      );
      return toRecord(row);
    },
  };
}

export type SystemConfigRepo = ReturnType<typeof createSystemConfigRepo>;

function toRecord(row: ConfigRow): ConfigRecord {
  return {
    key: row.key,
    value: row.value,
    valueType: row.value_type,
    description: row.description,
    isSensitive: row.is_sensitive,
    isReadonly: row.is_readonly,
    // bigint columns arrive as strings from both engines.
    minValue: row.min_value === null ? null : Number(row.min_value),
    maxValue: row.max_value === null ? null : Number(row.max_value),
    updatedAt: row.updated_at.toISOString(),
  };
}
