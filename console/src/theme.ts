/** Light, dark, or the system's choice. A display preference, not a secret: it is the one thing kept in localStorage. */
export type Theme = 'system' | 'light' | 'dark';
const KEY = 'porta-admin-console:theme';

export function storedTheme(): Theme {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(theme: Theme): void {
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
  try {
    if (theme === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, theme);
  } catch {
    // storage disabled: the choice lasts for this page
  }
}
