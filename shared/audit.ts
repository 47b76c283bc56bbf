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
  quizzesRun: number;
  avgCorrectRate: number | null;
}
