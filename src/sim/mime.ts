/** MIME type and UTI guessed from a file extension, for attachment rows. */
const TABLE: Record<string, [mime: string, uti: string]> = {
  jpg: ['image/jpeg', 'public.jpeg'],
  jpeg: ['image/jpeg', 'public.jpeg'],
  png: ['image/png', 'public.png'],
  gif: ['image/gif', 'com.compuserve.gif'],
  heic: ['image/heic', 'public.heic'],
  webp: ['image/webp', 'org.webmproject.webp'],
  mp4: ['video/mp4', 'public.mpeg-4'],
  mov: ['video/quicktime', 'com.apple.quicktime-movie'],
  m4a: ['audio/mp4', 'public.mpeg-4-audio'],
  mp3: ['audio/mpeg', 'public.mp3'],
  caf: ['audio/x-caf', 'com.apple.coreaudio-format'],
  wav: ['audio/wav', 'com.microsoft.waveform-audio'],
  pdf: ['application/pdf', 'com.adobe.pdf'],
  txt: ['text/plain', 'public.plain-text'],
  json: ['application/json', 'public.json'],
  zip: ['application/zip', 'public.zip-archive'],
  vcf: ['text/vcard', 'public.vcard'],
  html: ['text/html', 'public.html'],
};

export function guessMime(filename: string): { mime: string; uti: string } {
  const dot = filename.lastIndexOf('.');
  const ext = dot === -1 ? '' : filename.slice(dot + 1).toLowerCase();
  const hit = TABLE[ext];
  return hit ? { mime: hit[0], uti: hit[1] } : { mime: 'application/octet-stream', uti: 'public.data' };
}
