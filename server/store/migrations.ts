/**
 * Schema migrations, applied in order at start-up inside one transaction each.
 * Never edit a released migration: add a new one.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'community model, lessons, append-only lesson log',
    sql: `
      CREATE TABLE communities (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('assistance', 'alliance', 'group')),
        core_school_id TEXT
      );
      CREATE TABLE schools (
        id TEXT PRIMARY KEY,
        community_id TEXT NOT NULL REFERENCES communities(id),
        name TEXT NOT NULL,
        district TEXT NOT NULL,
        area TEXT NOT NULL CHECK (area IN ('urban', 'rural'))
      );
      CREATE TABLE classrooms (
        id TEXT PRIMARY KEY,
        school_id TEXT NOT NULL REFERENCES schools(id),
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('lecture', 'receiving'))
      );
      CREATE TABLE lessons (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        subject TEXT NOT NULL,
        teacher_name TEXT NOT NULL,
        lecture_classroom_id TEXT NOT NULL REFERENCES classrooms(id),
        planned_start INTEGER,
        planned_end INTEGER,
        status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'live', 'ended')),
        started_at INTEGER,
        ended_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE lesson_classrooms (
        lesson_id TEXT NOT NULL REFERENCES lessons(id),
        classroom_id TEXT NOT NULL REFERENCES classrooms(id),
        PRIMARY KEY (lesson_id, classroom_id)
      );
      CREATE TABLE lesson_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        lesson_id TEXT NOT NULL REFERENCES lessons(id),
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        classroom_id TEXT,
        data TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX lesson_events_by_lesson ON lesson_events (lesson_id, seq);
      CREATE INDEX lessons_by_status ON lessons (status);
      -- The log is append-only: history cannot be rewritten through SQL either.
      CREATE TRIGGER lesson_events_no_update BEFORE UPDATE ON lesson_events
        BEGIN SELECT RAISE(ABORT, 'lesson_events is append-only'); END;
      CREATE TRIGGER lesson_events_no_delete BEFORE DELETE ON lesson_events
        BEGIN SELECT RAISE(ABORT, 'lesson_events is append-only'); END;
    `,
  },
  // Version 2 belongs to the question_texts branch; these two never collide with it.
  {
    version: 3,
    name: 'timetable grade, derived lesson summaries, audit indexes',
    sql: `
      -- The timetable IS the lessons table: a planned lesson is a row with planned_start set
      -- (status 'scheduled' until it goes live); an ad-hoc lesson has planned_start NULL.
      ALTER TABLE lessons ADD COLUMN grade TEXT NOT NULL DEFAULT '';
      -- Derived from lesson_events only (see server/audit/lessonSummary.ts): can be dropped
      -- and rebuilt at any time, so unlike the log it is not append-only.
      CREATE TABLE lesson_summaries (
        lesson_id TEXT PRIMARY KEY REFERENCES lessons(id),
        minutes REAL NOT NULL,
        quizzes_run INTEGER NOT NULL,
        quizzes_scored INTEGER NOT NULL,
        correct_rate_sum REAL NOT NULL,
        last_seq INTEGER NOT NULL,
        computed_at INTEGER NOT NULL
      );
      CREATE TABLE lesson_classroom_summaries (
        lesson_id TEXT NOT NULL REFERENCES lessons(id),
        classroom_id TEXT NOT NULL,
        reached INTEGER NOT NULL,
        present INTEGER,
        PRIMARY KEY (lesson_id, classroom_id)
      );
      -- A lesson's audit day: planned start, else actual start, else creation.
      CREATE INDEX lessons_by_day ON lessons (COALESCE(planned_start, started_at, created_at));
      CREATE INDEX lessons_by_lecture_room ON lessons (lecture_classroom_id, planned_start);
      CREATE INDEX schools_by_community ON schools (community_id);
      CREATE INDEX classrooms_by_school ON classrooms (school_id);
      CREATE INDEX lesson_classrooms_by_classroom ON lesson_classrooms (classroom_id);
    `,
  },
  {
    version: 4,
    name: 'question_texts (purgeable), if the question branch has not created it',
    sql: `
      CREATE TABLE IF NOT EXISTS question_texts (question_id TEXT PRIMARY KEY, lesson_id TEXT NOT NULL, classroom_id TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);
    `,
  },
];
