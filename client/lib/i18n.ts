/** UI text: zh-CN first, English available (toggle on every page, remembered). */
const zh = {
  appName: '同课',
  roleTeacher: '主讲教师',
  roleClassroom: '听讲课堂',
  roleAdmin: '管理员',
  statusScheduled: '等待上课',
  statusLive: '上课中',
  statusEnded: '已下课',
  startLesson: '开始上课',
  endLesson: '下课',
  confirmEnd: '确定要下课吗？所有听讲课堂将停止接收。',
  resumePublish: '重新开启摄像头和麦克风',
  connecting: '正在连接…',
  connected: '已连接',
  reconnecting: '网络中断，正在重连…',
  disconnected: '已断开',
  refused: '无法进入课堂',
  online: '在线',
  offline: '离线',
  receivingClassrooms: '听讲课堂',
  teacherOffline: '主讲教师尚未进入',
  waitingTeacher: '等待主讲教师开始上课…',
  lessonEnded: '本节课已结束',
  enableSound: '点击开启声音',
  cameraError: '无法打开摄像头或麦克风',
  preview: '本地预览',
  lessons: '课程',
  title: '课程名称',
  status: '状态',
  startedAt: '开始时间',
  endedAt: '结束时间',
  classroomsReached: '到课课堂',
  classroomsOnline: '在线课堂',
  refresh: '刷新',
  noLessons: '暂无课程',
  media: '音视频',
  mediaReceiving: '正在接收',
  mediaPublishing: '正在直播',
  mediaIdle: '未开始',
  language: 'English',
  loadFailed: '加载失败',
  events: '日志',
  expected: '应到',
  present: '实到',
  presentTotal: '听讲课堂实到',
  submit: '提交',
  correct: '更正',
  attendance: '考勤',
  attendanceHint: '请填写本班应到、实到人数（只填人数，不填姓名）',
  attendanceSaved: '已提交',
  lectureAttendance: '本班（主讲课堂）考勤',
  raiseHand: '举手提问',
  questionPlaceholder: '问题（可选，最多140字）',
  withdraw: '撤回',
  yourPosition: '您排在第',
  positionSuffix: '位',
  questions: '提问队列',
  noQuestions: '暂无举手',
  answered: '已解答',
  defer: '稍后',
  dismiss: '忽略',
  deferredTag: '稍后',
  handRaised: '举手中',
  onStage: '上台中',
  inviteStage: '上台',
  removeStage: '下台',
  youAreOnStage: '您的课堂正在上台：全体师生都能看到、听到您',
  stageClassroom: '上台课堂',
  quiz: '课堂检测',
  quizQuestion: '题目（可选）',
  quizOptions: '选项数',
  quizCorrect: '正确答案',
  quizNoCorrect: '不设',
  quizPublish: '发布检测',
  quizClose: '结束检测',
  quizOpen: '检测进行中',
  quizClosed: '检测已结束',
  quizAnswerHint: '请填写选择每个选项的人数（合计不超过实到人数）',
  quizSum: '合计',
  quizSubmit: '提交作答',
  quizSubmitted: '已提交，可修改后重新提交',
  quizNeedAttendance: '请先提交考勤',
  lectureAnswer: '本班作答',
  correctRate: '正确率',
  total: '合计',
  city: '城区',
  rural: '乡村',
  answeredPupils: '作答人数',
  quality: '网络',
  qualityGood: '良好',
  qualityFair: '一般',
  qualityPoor: '较差',
  qualityUnknown: '—',
  cameraOff: '未开启摄像头',
  notReported: '未报',
} as const;

export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  appName: 'Tongke',
  roleTeacher: 'Master teacher',
  roleClassroom: 'Receiving classroom',
  roleAdmin: 'Administrator',
  statusScheduled: 'Not started',
  statusLive: 'Live',
  statusEnded: 'Ended',
  startLesson: 'Start lesson',
  endLesson: 'End lesson',
  confirmEnd: 'End the lesson? All receiving classrooms will stop receiving.',
  resumePublish: 'Turn camera and microphone back on',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost, reconnecting…',
  disconnected: 'Disconnected',
  refused: 'Cannot join the lesson',
  online: 'online',
  offline: 'offline',
  receivingClassrooms: 'Receiving classrooms',
  teacherOffline: 'The master teacher has not joined yet',
  waitingTeacher: 'Waiting for the master teacher to start…',
  lessonEnded: 'This lesson has ended',
  enableSound: 'Click to turn on sound',
  cameraError: 'Cannot open the camera or microphone',
  preview: 'Local preview',
  lessons: 'Lessons',
  title: 'Title',
  status: 'Status',
  startedAt: 'Started',
  endedAt: 'Ended',
  classroomsReached: 'Classrooms reached',
  classroomsOnline: 'Classrooms online',
  refresh: 'Refresh',
  noLessons: 'No lessons yet',
  media: 'Media',
  mediaReceiving: 'Receiving',
  mediaPublishing: 'Broadcasting',
  mediaIdle: 'Idle',
  language: '中文',
  loadFailed: 'Failed to load',
  events: 'Log',
  expected: 'Expected',
  present: 'Present',
  presentTotal: 'Present in receiving classrooms',
  submit: 'Submit',
  correct: 'Correct',
  attendance: 'Attendance',
  attendanceHint: 'Enter how many pupils are expected and present (numbers only, no names)',
  attendanceSaved: 'Saved',
  lectureAttendance: 'Lecture classroom attendance',
  raiseHand: 'Raise hand',
  questionPlaceholder: 'Question (optional, up to 140 characters)',
  withdraw: 'Withdraw',
  yourPosition: 'You are number ',
  positionSuffix: ' in the queue',
  questions: 'Questions',
  noQuestions: 'No hands raised',
  answered: 'Answered',
  defer: 'Later',
  dismiss: 'Dismiss',
  deferredTag: 'later',
  handRaised: 'Hand raised',
  onStage: 'On stage',
  inviteStage: 'On stage',
  removeStage: 'Off stage',
  youAreOnStage: 'Your classroom is on stage: everyone can see and hear you',
  stageClassroom: 'On stage',
  quiz: 'Quiz',
  quizQuestion: 'Question (optional)',
  quizOptions: 'Options',
  quizCorrect: 'Correct answer',
  quizNoCorrect: 'None',
  quizPublish: 'Publish quiz',
  quizClose: 'Close quiz',
  quizOpen: 'Quiz open',
  quizClosed: 'Quiz closed',
  quizAnswerHint: 'Enter how many pupils chose each option (total at most the present count)',
  quizSum: 'Total',
  quizSubmit: 'Submit answers',
  quizSubmitted: 'Submitted; you may correct and resubmit',
  quizNeedAttendance: 'Report attendance first',
  lectureAnswer: 'Lecture classroom answers',
  correctRate: 'Correct rate',
  total: 'Total',
  city: 'City',
  rural: 'Rural',
  answeredPupils: 'Answered',
  quality: 'Network',
  qualityGood: 'good',
  qualityFair: 'fair',
  qualityPoor: 'poor',
  qualityUnknown: '—',
  cameraOff: 'Camera off',
  notReported: 'not reported',
};

export type Lang = 'zh-CN' | 'en';
const STORAGE_KEY = 'tongke.lang';

export function currentLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === 'en' ? 'en' : 'zh-CN';
}

export function t(key: Key): string {
  return currentLang() === 'en' ? en[key] : zh[key];
}

/** Re-renders every [data-i18n] element, and lets the page re-render its own text. */
export function applyI18n(root: ParentNode = document): void {
  document.documentElement.lang = currentLang();
  root.querySelectorAll<HTMLElement>('[data-i18n]').forEach((node) => {
    node.textContent = t(node.dataset.i18n as Key);
  });
  root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('[data-i18n-placeholder]').forEach((node) => {
    node.placeholder = t(node.dataset.i18nPlaceholder as Key);
  });
}

export function installLanguageToggle(button: HTMLButtonElement, onChange: () => void): void {
  button.addEventListener('click', () => {
    localStorage.setItem(STORAGE_KEY, currentLang() === 'en' ? 'zh-CN' : 'en');
    applyI18n();
    onChange();
  });
}

export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString(currentLang(), { hour12: false });
}

export function formatTime(ms: number | null): string {
  if (ms === null) return '—';
  return new Date(ms).toLocaleString(currentLang(), { hour12: false });
}
