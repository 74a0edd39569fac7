/** A few 20×20 line icons (decorative: every control that shows one has a text label). */
const paths = {
  key: 'M12.5 7.5a3 3 0 1 1-2.9 3.8L4 17H2v-2l1-1h1.5v-1.5H6V11l1.7-1.7A3 3 0 0 1 12.5 7.5Zm2.5 0a5 5 0 1 0-9.6 2M14 6.5h.01',
  users: 'M7.5 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6Zm-5 8a5 5 0 0 1 10 0M13 3.3a3 3 0 0 1 0 5.4M15 12a5 5 0 0 1 2.5 5',
  shield: 'M10 2 3.5 4.5v5c0 4 2.8 7.2 6.5 8.5 3.7-1.3 6.5-4.5 6.5-8.5v-5L10 2Zm-3 8 2 2 4-4',
  tag: 'M2.5 10.5V3.5a1 1 0 0 1 1-1h7l7 7-8 8-7-7Zm4-4h.01',
  webhook: 'M7 7.5a3 3 0 1 1 5.2 2L9.5 14M5.5 12.5a3 3 0 1 0 3 3h6M14.5 9.5a3 3 0 1 1-1.5 5.6',
  list: 'M7 5h10M7 10h10M7 15h10M3 5h.01M3 10h.01M3 15h.01',
  bell: 'M5 8a5 5 0 0 1 10 0c0 5 2 6 2 6H3s2-1 2-6Zm3.5 9a1.7 1.7 0 0 0 3 0',
  user: 'M10 10a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7Zm-6 8a6 6 0 0 1 12 0',
  plus: 'M10 4v12M4 10h12',
  copy: 'M7 7V4.5A1.5 1.5 0 0 1 8.5 3h7A1.5 1.5 0 0 1 17 4.5v7a1.5 1.5 0 0 1-1.5 1.5H13M4.5 7h7A1.5 1.5 0 0 1 13 8.5v7a1.5 1.5 0 0 1-1.5 1.5h-7A1.5 1.5 0 0 1 3 15.5v-7A1.5 1.5 0 0 1 4.5 7Z',
  check: 'm4 10.5 4 4 8-9',
  alert: 'M10 3 2 17h16L10 3Zm0 5v4m0 3h.01',
  menu: 'M3 5h14M3 10h14M3 15h14',
  logout: 'M8 17H4.5A1.5 1.5 0 0 1 3 15.5v-11A1.5 1.5 0 0 1 4.5 3H8m5 11 4-4-4-4m4 4H8',
  search: 'M9 15a6 6 0 1 0 0-12 6 6 0 0 0 0 12Zm8 2-3.8-3.8',
  arrowLeft: 'M16 10H4m5-5-5 5 5 5',
  refresh: 'M16 4v4h-4M4 16v-4h4M15.3 8A6 6 0 0 0 4.7 7M4.7 12a6 6 0 0 0 10.6 1',
  close: 'M5 5l10 10M15 5 5 15',
  policy: 'M5 2.5h7l3 3v12H5v-15Zm2.5 6h5m-5 3h5m-5 3h3',
} as const;

export type IconName = keyof typeof paths;

export function Icon({ name, size = 18 }: { name: IconName; size?: number }) {
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d={paths[name]} />
    </svg>
  );
}
