import { sqliteTable, text, integer, uniqueIndex } from "drizzle-orm/sqlite-core";

export const CARTRIDGE_STATES = [
  "blank", "free", "in-use", "full", "expired", "offsite", "cleaning", "write-protected", "unknown",
] as const;

/** A tape library this server drives: virtual (files on disk) or mtx/mt hardware (SPEC §6). */
export const tapeLibraries = sqliteTable(
  "tape_libraries",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    name: text().notNull(),
    driver: text({ enum: ["virtual", "mtx"] }).notNull(),
    slots: integer().notNull(),
    drives: integer().notNull(),
    mailSlots: integer().notNull().default(0),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("libraries_name_unique").on(t.name)],
);

export const cartridges = sqliteTable(
  "cartridges",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    libraryId: integer().references(() => tapeLibraries.id),
    barcode: text().notNull(),
    state: text({ enum: CARTRIDGE_STATES }).notNull(),
    slot: integer(),
    capacityBytes: integer().notNull(),
    usedBytes: integer().notNull().default(0),
  },
  (t) => [uniqueIndex("cartridges_barcode_unique").on(t.barcode)],
);
