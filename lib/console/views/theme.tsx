import { useState } from 'preact/hooks'

const THEME_ITEM = 'swarm-lambda.theme'
const THEMES = ['auto', 'light', 'dark'] as const
type Theme = (typeof THEMES)[number]

function stored(): Theme {
  const value = localStorage.getItem(THEME_ITEM)
  return (THEMES as readonly string[]).includes(value ?? '') ? (value as Theme) : 'auto'
}

/** Sets the page's theme: `auto` follows the system (prefers-color-scheme). */
export function applyTheme(theme: Theme = stored()): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = theme
}

/** A button cycling auto → light → dark, remembered in this browser. */
export function ThemeToggle() {
  const [theme, setTheme] = useState(stored())
  const next = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length] as Theme
  return (
    <button
      type="button"
      class="quiet"
      data-theme-toggle
      aria-label={`Theme: ${theme}. Switch to ${next}`}
      onClick={() => {
        localStorage.setItem(THEME_ITEM, next)
        applyTheme(next)
        setTheme(next)
      }}
    >
      {theme === 'auto' ? '◐ auto' : theme === 'light' ? '☀ light' : '☾ dark'}
    </button>
  )
}
