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
  {
    version: 2,
    name: 'question texts, kept apart from the immutable log so they can be purged',
    sql: `
      CREATE TABLE IF NOT EXISTS question_texts (
        question_id TEXT PRIMARY KEY,
        lesson_id TEXT NOT NULL,
        classroom_id TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS question_texts_by_age ON question_texts (created_at);
    `,
  },
  {
    version: 3,
    name: 'timetable grade, derived lesson summaries, audit indexes',
    sql: `
      -- The timetable IS the lessons table: a planned lesson is a row with planned_start set
      -- (status 'scheduled' until it goes live); an ad-hoc lesson has planned_start NULL.
      ALTER TABLE lessons ADD COLUMN grade TEXT NOT NULL DEFAULT '';
      -- Derived from lesson_events only (see server/audit/lessonSummary.ts), one row per
      -- delivered (ended) lesson: can be dropped and rebuilt at any time, so unlike the log it
      -- is not append-only. The lesson facts the audit groups by (audit day, lecture room and
      -- school, subject, planned) are copied in so that year-long audit queries need no joins.
      CREATE TABLE lesson_summaries (
        lesson_id TEXT PRIMARY KEY REFERENCES lessons(id),
        day_at INTEGER NOT NULL,
        month TEXT NOT NULL, -- YYYY-MM of day_at in Asia/Shanghai
        lecture_classroom_id TEXT NOT NULL,
        lecture_school_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        planned INTEGER NOT NULL,
        minutes REAL NOT NULL,
        quizzes_run INTEGER NOT NULL,
        quizzes_scored INTEGER NOT NULL,
        correct_rate_sum REAL NOT NULL,
        last_seq INTEGER NOT NULL,
        computed_at INTEGER NOT NULL
      );
      -- Covering indexes in GROUP BY order: SQLite then aggregates a year in one ordered scan
      -- instead of sorting ~200k rows; the day_at-first ones serve short ranges.
      CREATE INDEX lesson_summaries_by_day ON lesson_summaries (day_at, lecture_school_id, month, subject, planned,
        minutes, quizzes_run, quizzes_scored, correct_rate_sum);
      CREATE INDEX lesson_summaries_by_owner ON lesson_summaries (lecture_school_id, month, day_at, subject, planned,
        minutes, quizzes_run, quizzes_scored, correct_rate_sum);
      -- One row per receiving classroom of a delivered lesson (invited or joined). school_id is
      -- the classroom's school when the lesson was summarised; school_first is 1 on one row per
      -- (lesson, receiving school other than the lecture school), so sums count lessons once.
      CREATE TABLE lesson_classroom_summaries (
        lesson_id TEXT NOT NULL REFERENCES lessons(id),
        classroom_id TEXT NOT NULL,
        school_id TEXT NOT NULL,
        day_at INTEGER NOT NULL,
        month TEXT NOT NULL,
        lecture_school_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        planned INTEGER NOT NULL,
        reached INTEGER NOT NULL,
        present INTEGER,
        school_first INTEGER NOT NULL,
        minutes REAL NOT NULL,
        quizzes_run INTEGER NOT NULL,
        quizzes_scored INTEGER NOT NULL,
        correct_rate_sum REAL NOT NULL,
        PRIMARY KEY (lesson_id, classroom_id)
      );
      CREATE INDEX lesson_classroom_summaries_by_day ON lesson_classroom_summaries (day_at, school_id, classroom_id,
        lecture_school_id, month, subject, reached, present, school_first, planned, minutes, quizzes_run,
        quizzes_scored, correct_rate_sum);
      CREATE INDEX lesson_classroom_summaries_by_school ON lesson_classroom_summaries (school_id, classroom_id, month,
        day_at, reached, present, school_first, planned, minutes, quizzes_run, quizzes_scored, correct_rate_sum);
      CREATE INDEX lesson_classroom_summaries_by_owner ON lesson_classroom_summaries (lecture_school_id, classroom_id,
        day_at, school_id, reached, present);
      CREATE INDEX lesson_classroom_summaries_by_month ON lesson_classroom_summaries (month, school_id, classroom_id,
        day_at, reached, present);
      CREATE INDEX lesson_classroom_summaries_by_subject ON lesson_classroom_summaries (subject, school_id, classroom_id,
        day_at, reached, present);
      -- A lesson's audit day: planned start, else actual start, else creation (covering the
      -- planned-lesson counts by lecture room and subject).
      CREATE INDEX lessons_by_day ON lessons (COALESCE(planned_start, started_at, created_at), lecture_classroom_id,
        subject, planned_start, status);
      -- Lessons not (yet) delivered: few, and the only ones the audit reads through lesson_classrooms.
      CREATE INDEX lessons_open_by_day ON lessons (COALESCE(planned_start, started_at, created_at), lecture_classroom_id)
        WHERE status <> 'ended';
      CREATE INDEX lessons_by_lecture_room ON lessons (lecture_classroom_id, planned_start);
      CREATE INDEX lessons_by_created ON lessons (created_at);
      CREATE INDEX schools_by_community ON schools (community_id);
      CREATE INDEX classrooms_by_school ON classrooms (school_id);
      CREATE INDEX lesson_classrooms_by_classroom ON lesson_classrooms (classroom_id);
    `,
  },
  {
    version: 4,
    name: 'question_texts (purgeable): a no-op where version 2 created it',
    sql: `
      CREATE TABLE IF NOT EXISTS question_texts (question_id TEXT PRIMARY KEY, lesson_id TEXT NOT NULL, classroom_id TEXT NOT NULL, text TEXT NOT NULL, created_at INTEGER NOT NULL);
    `,
  },
  {
    version: 5,
    name: 'accounts, login sessions, classroom devices and their one-time enrolment codes',
    sql: `
      -- Scope: a teacher runs the lessons that carry its teacher_name; an assistant acts for
      -- one classroom; inspectors and admins have no scope.
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('teacher', 'assistant', 'inspector', 'admin')),
        teacher_name TEXT,
        classroom_id TEXT REFERENCES classrooms(id),
        password_hash TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        created_at INTEGER NOT NULL,
        CHECK ((role = 'teacher') = (teacher_name IS NOT NULL)),
        CHECK ((role = 'assistant') = (classroom_id IS NOT NULL))
      );
      -- Only hashes of session ids, codes and device secrets are stored: a copy of the
      -- database lets nobody log in.
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_by_account ON sessions (account_id);
      CREATE TABLE device_enrolments (
        code_hash TEXT PRIMARY KEY,
        classroom_id TEXT NOT NULL REFERENCES classrooms(id),
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        classroom_id TEXT NOT NULL REFERENCES classrooms(id),
        label TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
    `,
  },
  {
    version: 6,
    name: 'lesson_classroom_summaries: classrooms online whose media never got through',
    sql: `
      -- media_blocked: the classroom was online while live, but the lesson's picture and sound
      -- never got through to it (a school network blocking the media ports); it is not reached,
      -- and its head count moves from present (pupil-visits) to blocked_present. Summaries
      -- written before this version come from logs without media evidence: 0 and NULL are right.
      ALTER TABLE lesson_classroom_summaries ADD COLUMN media_blocked INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE lesson_classroom_summaries ADD COLUMN blocked_present INTEGER;
      -- The reach query reads both: keep its indexes covering.
      DROP INDEX lesson_classroom_summaries_by_day;
      DROP INDEX lesson_classroom_summaries_by_school;
      DROP INDEX lesson_classroom_summaries_by_owner;
      DROP INDEX lesson_classroom_summaries_by_month;
      DROP INDEX lesson_classroom_summaries_by_subject;
      CREATE INDEX lesson_classroom_summaries_by_day ON lesson_classroom_summaries (day_at, school_id, classroom_id,
        lecture_school_id, month, subject, reached, present, media_blocked, blocked_present, school_first, planned,
        minutes, quizzes_run, quizzes_scored, correct_rate_sum);
      CREATE INDEX lesson_classroom_summaries_by_school ON lesson_classroom_summaries (school_id, classroom_id, month,
        day_at, reached, present, media_blocked, blocked_present, school_first, planned, minutes, quizzes_run,
        quizzes_scored, correct_rate_sum);
      CREATE INDEX lesson_classroom_summaries_by_owner ON lesson_classroom_summaries (lecture_school_id, classroom_id,
        day_at, school_id, reached, present, media_blocked, blocked_present);
      CREATE INDEX lesson_classroom_summaries_by_month ON lesson_classroom_summaries (month, school_id, classroom_id,
        day_at, reached, present, media_blocked, blocked_present);
      CREATE INDEX lesson_classroom_summaries_by_subject ON lesson_classroom_summaries (subject, school_id, classroom_id,
        day_at, reached, present, media_blocked, blocked_present);
    `,
  },
  {
    version: 7,
    name: 'accounts: tokens issued before a withdrawal (password change or reset) are refused',
    sql: `
      -- Milliseconds; NULL: no withdrawal yet. Socket tokens name their account (sub) and carry
      -- their issue time, checked against this at every use.
      ALTER TABLE accounts ADD COLUMN tokens_valid_after INTEGER;
    `,
  },
  {
    version: 8,
    name: 'recordings: segments of a lesson recorded for later viewing (录播)',
    sql: `
      -- One row per segment file (a segment ends when the teacher republishes or stops);
      -- ended_at NULL while it is being written. The file lives under the data dir.
      CREATE TABLE recordings (
        id TEXT PRIMARY KEY,
        lesson_id TEXT NOT NULL REFERENCES lessons(id),
        file TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        bytes INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX recordings_by_lesson ON recordings (lesson_id, started_at);
      CREATE INDEX recordings_by_start ON recordings (started_at);
    `,
  },
  {
    version: 9,
    name: 'recordings: the teacher\'s camera beside a shared screen (picture-in-picture)',
    sql: `
      -- While a screen is shared the segment's file holds the screen; this second file holds
      -- the teacher's camera (and microphone) over the same time. NULL: the segment has none.
      ALTER TABLE recordings ADD COLUMN camera_file TEXT;
      ALTER TABLE recordings ADD COLUMN camera_bytes INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 10,
    name: 'recordings: published to the public library (精品课点播) by an administrator',
    sql: `
      -- NULL: not published (the default: a school decides which lessons pupils may watch again).
      ALTER TABLE recordings ADD COLUMN published_at INTEGER;
      CREATE INDEX recordings_published ON recordings (published_at) WHERE published_at IS NOT NULL;
    `,
  },
  {
    version: 11,
    name: 'recordings: a light copy of a published segment for weak home links (流畅版)',
    sql: `
      -- Made at night from a published segment: 540 px at most, ~0.5 Mbit/s, the teacher's camera
      -- drawn into a shared screen's corner. NULL until made.
      ALTER TABLE recordings ADD COLUMN light_file TEXT;
      ALTER TABLE recordings ADD COLUMN light_bytes INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
