// A keyboard listbox with a roving tabindex (WAI-ARIA APG): one Tab stop, arrows move and select,
// Home/End jump. Selection follows focus, so the details pane tracks the arrow keys.

export interface Listbox {
  /** Marks `index` as the selected option (or none) without moving focus. */
  setSelected(index: number | undefined): void;
  focus(index: number): void;
}

export function listbox(container: HTMLElement, options: HTMLElement[], onSelect: (index: number) => void): Listbox {
  container.setAttribute('role', 'listbox');
  options.forEach((option, index) => {
    option.setAttribute('role', 'option');
    option.setAttribute('aria-selected', 'false');
    option.tabIndex = index === 0 ? 0 : -1;
    option.addEventListener('click', () => {
      option.focus();
      onSelect(index);
    });
  });

  container.addEventListener('keydown', (event: KeyboardEvent) => {
    const current = options.indexOf((event.target as HTMLElement).closest('[role="option"]') as HTMLElement);
    if (current < 0) return;
    let next: number | undefined;
    switch (event.key) {
      case 'ArrowRight':
      case 'ArrowDown':
        next = Math.min(options.length - 1, current + 1);
        break;
      case 'ArrowLeft':
      case 'ArrowUp':
        next = Math.max(0, current - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = options.length - 1;
        break;
      case 'Enter':
      case ' ':
        next = current;
        break;
      default:
        return;
    }
    event.preventDefault();
    options[next].focus();
    onSelect(next);
  });

  return {
    setSelected(selected) {
      options.forEach((option, index) => {
        option.setAttribute('aria-selected', String(index === selected));
        option.tabIndex = index === (selected ?? 0) ? 0 : -1;
      });
    },
    focus(index) {
      options[index]?.focus();
    },
  };
}
