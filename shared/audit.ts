/**
 * The audit figures as the admin API returns them; server and admin page share this one
 * definition (the counting rules are documented in server/audit/auditQueries.ts).
 */
export interface Figures {
  lessonsPlanned: number;
  lessonsDelivered: number;
  plannedDelivered: number;
  deliveryRate: number | null;
  minutesDelivered: number;
  classroomsReached: number;
  ruralSchoolsReached: number;
  pupilVisits: number;
  /**
   * (lesson, classroom) pairs where the classroom was online while live but the lesson's picture
   * and sound never got through to it: neither its reach nor its head count is counted above.
   */
  blockedClassroomLessons: number;
  /** The head counts of those classrooms: pupils present but not reached. */
  blockedPupilVisits: number;
  quizzesRun: number;
  avgCorrectRate: number | null;
}
