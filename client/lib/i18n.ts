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
} as const;

type Key = keyof typeof zh;

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
}

export function installLanguageToggle(button: HTMLButtonElement, onChange: () => void): void {
  button.addEventListener('click', () => {
    localStorage.setItem(STORAGE_KEY, currentLang() === 'en' ? 'zh-CN' : 'en');
    applyI18n();
    onChange();
  });
}

export function formatTime(ms: number | null): string {
  if (ms === null) return '—';
  return new Date(ms).toLocaleString(currentLang(), { hour12: false });
}
