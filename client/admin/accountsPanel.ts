import type { Account, Device } from '../../shared/accounts.js';
import type { Role } from '../../shared/roles.js';
import { ApiError, apiCall, apiGet, apiSend } from '../lib/api.js';
import { byId, el } from '../lib/dom.js';
import { formatTime, t, type Key } from '../lib/i18n.js';

interface Classroom {
  id: string;
  name: string;
  kind: string;
  schoolName: string;
}
interface Enrolment {
  code: string;
  classroomId: string;
  expiresAt: number;
}

const ROLE_KEY: Record<Role, Key> = { teacher: 'roleTeacher', assistant: 'roleAssistant', inspector: 'roleInspector', admin: 'roleAdmin' };

/**
 * Accounts and classroom PCs (admin:write): list, create and delete accounts, reset a password,
 * lift a lock; list and revoke
 * devices; generate a one-time enrolment code for a receiving classroom, shown big enough to be
 * read out over the phone to the school.
 */
export function accountsPanel(): { load: () => Promise<void>; render: () => void } {
  const panel = byId('accounts-panel');
  const message = byId('accounts-message');
  const roleSelect = byId<HTMLSelectElement>('acc-role');
  let accounts: Account[] = [];
  let devices: Device[] = [];
  let rooms: Classroom[] = [];
  let enrolment: Enrolment | null = null;
  let note: (() => string) | null = null;
  /** The account whose password the form below the table sets, if open. */
  let resetting: string | null = null;
  const resetForm = byId<HTMLFormElement>('reset-form');
  const resetInput = byId<HTMLInputElement>('reset-password');

  const button = (text: string, onClick: () => void) => {
    const b = el('button', { className: 'small', text });
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  };

  function openReset(a: Account): void {
    resetting = a.id;
    note = null;
    render();
    resetInput.value = '';
    resetInput.focus();
  }

  const roomName = (id: string | null) => {
    const r = rooms.find((c) => c.id === id);
    return r ? `${r.schoolName} ${r.name}` : (id ?? '');
  };

  function fillRoomSelect(select: HTMLSelectElement): void {
    const keep = select.value;
    select.replaceChildren(...rooms.map((r) => Object.assign(el('option', { text: `${r.schoolName} ${r.name}` }), { value: r.id })));
    if (rooms.some((r) => r.id === keep)) select.value = keep;
  }

  function render(): void {
    for (const o of roleSelect.options) o.textContent = t(ROLE_KEY[o.value as Role]);
    byId('acc-teacher-row').hidden = roleSelect.value !== 'teacher';
    byId('acc-classroom-row').hidden = roleSelect.value !== 'assistant';
    message.textContent = note ? note() : '';
    byId('accounts-body').replaceChildren(
      ...(accounts.length === 0
        ? [el('tr', {}, [Object.assign(el('td', { className: 'hint', text: t('noAccounts') }), { colSpan: 6 })])]
        : accounts.map((a) => {
            const del = button(t('delete'), () => {
              if (!confirm(t('confirmDeleteAccount', { name: a.username }))) return;
              void act(apiCall('DELETE', `/api/admin/accounts/${encodeURIComponent(a.id)}`));
            });
            const reset = button(t('resetPassword'), () => openReset(a));
            const locked = a.lockedUntil !== null && a.lockedUntil > Date.now();
            const status: HTMLElement[] = locked
              ? [
                  el('span', { className: 'warn', text: t('lockedUntil', { time: formatTime(a.lockedUntil) }) }),
                  button(t('unlock'), () => {
                    note = () => t('unlocked', { name: a.username });
                    void act(apiSend('POST', `/api/admin/accounts/${encodeURIComponent(a.id)}/unlock`, '{}'));
                  }),
                ]
              : [];
            const scope = a.role === 'teacher' ? (a.teacherName ?? '') : a.role === 'assistant' ? roomName(a.classroomId) : '';
            return el('tr', { dataset: { account: a.username, locked: String(locked) } }, [
              el('td', { text: a.username }),
              el('td', { text: a.displayName }),
              el('td', { text: t(ROLE_KEY[a.role]) }),
              el('td', { text: scope }),
              el('td', { className: 'status' }, status),
              el('td', { className: 'actions' }, [reset, del]),
            ]);
          })),
    );
    const target = accounts.find((a) => a.id === resetting);
    resetForm.hidden = !target;
    if (target) byId('reset-title').textContent = t('resetFor', { name: `${target.displayName}（${target.username}）` });
    byId('devices-body').replaceChildren(
      ...(devices.length === 0
        ? [el('tr', {}, [Object.assign(el('td', { className: 'hint', text: t('noDevices') }), { colSpan: 4 })])]
        : devices.map((d) => {
            let action: HTMLElement;
            if (d.revokedAt === null) {
              action = button(t('revoke'), () => {
                if (!confirm(t('confirmRevoke'))) return;
                void act(apiCall('DELETE', `/api/admin/devices/${encodeURIComponent(d.id)}`));
              });
            } else {
              action = el('span', { className: 'hint', text: t('revoked') });
            }
            return el('tr', { dataset: { device: d.id, revoked: String(d.revokedAt !== null) } }, [
              el('td', { text: roomName(d.classroomId) }),
              el('td', { text: d.label }),
              el('td', { text: formatTime(d.lastUsedAt) }),
              el('td', {}, [action]),
            ]);
          })),
    );
    const out = byId('enrol-code-out');
    if (enrolment) {
      out.replaceChildren(
        el('div', { className: 'enrol-code', text: enrolment.code }),
        el('p', { className: 'hint', text: t('codeHint', { time: formatTime(enrolment.expiresAt), room: roomName(enrolment.classroomId) }) }),
      );
    } else {
      out.replaceChildren();
    }
  }

  async function load(): Promise<void> {
    try {
      const [a, d, c] = await Promise.all([
        apiGet<{ accounts: Account[] }>('/api/admin/accounts'),
        apiGet<{ devices: Device[] }>('/api/admin/devices'),
        apiGet<{ classrooms: Classroom[] }>('/api/admin/classrooms'),
      ]);
      accounts = a.accounts;
      devices = d.devices;
      rooms = c.classrooms.filter((r) => r.kind === 'receiving');
    } catch (err) {
      // An inspector may read the audit but not manage accounts: no panel then.
      if (err instanceof ApiError && err.code === 'FORBIDDEN') {
        panel.hidden = true;
        return;
      }
      throw err;
    }
    fillRoomSelect(byId<HTMLSelectElement>('enrol-classroom'));
    fillRoomSelect(byId<HTMLSelectElement>('acc-classroom'));
    render();
  }

  /** Runs a change, then reloads; errors show in the panel, next to the form. */
  async function act(p: Promise<unknown>): Promise<void> {
    try {
      await p;
      await load();
    } catch (err) {
      const text = (err as Error).message;
      note = () => text;
      render();
      throw err;
    }
  }

  byId('enrol-code-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const classroomId = byId<HTMLSelectElement>('enrol-classroom').value;
    note = null;
    void act(
      apiSend<{ enrolment: Enrolment }>('POST', '/api/admin/devices/enrolments', JSON.stringify({ classroomId })).then((r) => {
        enrolment = r.enrolment;
      }),
    ).catch(() => {});
  });
  byId('reset-cancel').addEventListener('click', () => {
    resetting = null;
    resetForm.reset();
    render();
  });
  resetForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const target = accounts.find((a) => a.id === resetting);
    if (!target) return;
    note = null;
    void act(
      apiSend('POST', `/api/admin/accounts/${encodeURIComponent(target.id)}/password`, JSON.stringify({ password: resetInput.value })).then(() => {
        resetting = null;
        resetForm.reset();
        note = () => t('passwordReset', { name: target.username });
      }),
    ).catch(() => {});
  });
  roleSelect.addEventListener('change', render);
  byId<HTMLFormElement>('account-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const role = roleSelect.value as Role;
    const value = (id: string) => byId<HTMLInputElement>(id).value.trim();
    const body = {
      username: value('acc-username'),
      displayName: value('acc-display'),
      role,
      password: byId<HTMLInputElement>('acc-password').value,
      ...(role === 'teacher' ? { teacherName: value('acc-teacher') } : {}),
      ...(role === 'assistant' ? { classroomId: byId<HTMLSelectElement>('acc-classroom').value } : {}),
    };
    note = null;
    void act(
      apiSend<{ account: Account }>('POST', '/api/admin/accounts', JSON.stringify(body)).then(() => {
        byId<HTMLFormElement>('account-form').reset();
        note = () => t('accountCreated', { name: body.username });
      }),
    ).catch(() => {});
  });
  return { load, render };
}
