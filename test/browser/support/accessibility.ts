import type { Page } from 'playwright-core';

/**
 * What an automated look can tell about a page's accessibility: visible text below a 4.5:1
 * contrast ratio against its background (WCAG AA), form controls without a label, and buttons
 * or links without text. Runs in the page (plain ES2023: the function is sent as its source).
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Rgba = { r: number; g: number; b: number; a: number };
    const parse = (colour: string): Rgba | null => {
      const match = /rgba?\(([^)]+)\)/.exec(colour);
      if (!match) return null;
      const [r, g, b, a = 1] = match[1]
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }: Rgba) => {
      const channel = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const background = (element: Element): Rgba => {
      for (let e: Element | null = element; e; e = e.parentElement) {
        const colour = parse(getComputedStyle(e).backgroundColor);
        if (colour && colour.a > 0.5) return colour;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const problems: string[] = [];
    for (const element of document.querySelectorAll('body *')) {
      if (element.closest('svg')) continue; // chart drawings: their data is in a table
      const ownText = [...element.childNodes].some(
        (node) => node.nodeType === Node.TEXT_NODE && (node.textContent ?? '').trim() !== '',
      );
      if (!ownText) continue;
      const style = getComputedStyle(element);
      const box = element.getBoundingClientRect();
      if (style.visibility === 'hidden' || box.width < 2 || box.height < 2) continue;
      const foreground = parse(style.color);
      if (!foreground) continue;
      const [light, dark] = [luminance(foreground), luminance(background(element))].sort(
        (x, y) => y - x,
      );
      const ratio = (light + 0.05) / (dark + 0.05);
      if (ratio < 4.5)
        problems.push(
          `contrast ${ratio.toFixed(2)}: <${element.tagName.toLowerCase()}> "${(element.textContent ?? '').trim().slice(0, 40)}"`,
        );
    }
    for (const control of document.querySelectorAll<HTMLInputElement>('input, select, textarea')) {
      if (control.type === 'hidden') continue;
      const labelled =
        (control.labels?.length ?? 0) > 0 ||
        control.hasAttribute('aria-label') ||
        control.hasAttribute('aria-labelledby');
      if (!labelled) problems.push(`unlabelled <${control.tagName.toLowerCase()}> ${control.name}`);
    }
    for (const target of document.querySelectorAll('button, a[href]')) {
      if (!(target.textContent ?? '').trim() && !target.getAttribute('aria-label'))
        problems.push(`<${target.tagName.toLowerCase()}> without text`);
    }
    return problems;
  });
}
