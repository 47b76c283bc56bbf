/** Bounds shared by the schemas, the server and the pages' inputs. */
export const LIMITS = {
  /** Head counts of one classroom. */
  maxHeadCount: 500,
  questionTextMax: 140,
  quizQuestionMax: 200,
  quizMinOptions: 2,
  quizMaxOptions: 6,
} as const;

export const OPTION_LABELS = ['A', 'B', 'C', 'D', 'E', 'F'] as const;
