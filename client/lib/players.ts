/** Puts a received track into a media element (one track per kind per element). */
export function attachTrack(target: HTMLMediaElement, track: MediaStreamTrack): void {
  if (!(target.srcObject instanceof MediaStream)) target.srcObject = new MediaStream();
  const stream = target.srcObject as MediaStream;
  stream.getTracks().filter((tr) => tr.kind === track.kind).forEach((tr) => stream.removeTrack(tr));
  stream.addTrack(track);
  if (target.muted || target instanceof HTMLVideoElement) void target.play().catch(() => {});
}

export function detachTrack(target: HTMLMediaElement, kind: string): void {
  const stream = target.srcObject instanceof MediaStream ? target.srcObject : null;
  stream?.getTracks().filter((tr) => tr.kind === kind).forEach((tr) => stream.removeTrack(tr));
}

/** Plays with sound; a fresh PC's browser may need one click, so show the button then. */
export function playWithSound(el: HTMLMediaElement, button: HTMLButtonElement): void {
  el.play().then(
    () => {
      button.hidden = true;
    },
    () => {
      button.hidden = false;
    },
  );
}
