// Reads the built book the way a learner does: in a real browser, page by page, through the
// sidebar. It fails on what `mdbook build` and linkcheck2 let through but a reader would see:
//
// - an error in the browser console, or a script that throws;
// - a request to any host but the book's own (the book must work offline, without a CDN);
// - a file of the book that does not load (status 400 or more);
// - a mermaid diagram that did not render: every `pre.mermaid` must hold an `svg`, and none
//   may be mermaid's error picture (`aria-roledescription="error"`); a syntax error in a
//   diagram logs nothing, so only looking at the page catches it;
// - a quiz that did not render;
// - a leftover `{{#` directive, or a code block with nothing in it (a broken include);
// - a `#fragment` link whose target id is not on the page it points to;
// - a sidebar link that does not lead to its page.
//
// Run it through `cargo xtask book --browser`, which builds the book, serves it on
// 127.0.0.1 and passes the address:
//
//     node check.mjs http://127.0.0.1:PORT/ [--screenshots DIR]
//
// Chromium is Debian's (`/usr/bin/chromium`, or the path in $CHROMIUM): playwright-core
// never downloads a browser.

import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const STEP_MS = 15_000;

const { base, screenshots } = parseArgs(process.argv.slice(2));
const origin = new URL(base).origin;
// A Set: a page seen twice (for the screenshots) reports each of its problems once.
const problems = new Set();
let currentPage = "(starting)";
let lastPageStatus = 0; // the HTTP status of the last page the browser navigated to
const problem = (where, message) => problems.add(`${where}: ${message}`);

// A fresh profile every time, so nothing cached or remembered from an earlier run counts.
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "book-check-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true, // playwright adds --headless itself
  viewport: { width: 1280, height: 900 },
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    // Without these, Chromium tries to reach Google's services at every start.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

try {
  await checkBook(context);
} catch (error) {
  problem("check", `stopped early: ${error.message}`);
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

if (problems.size > 0) {
  console.log(`\n${problems.size} problem(s) a reader would see:`);
  for (const line of problems) console.log(`  ${line}`);
  process.exit(1);
}
console.log("\nbrowser check: no problems");

// ---------------------------------------------------------------------------------------

async function checkBook(context) {
  // Every request leaves through here: one to another host is refused and reported.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin) {
      problem(currentPage, `request to another host: ${url}`);
      return route.abort();
    }
    return route.continue();
  });

  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") {
      problem(currentPage, `console error: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problem(currentPage, `script error: ${error.message}`));
  page.on("response", (response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
      lastPageStatus = response.status();
    }
    if (response.status() >= 400 && new URL(response.url()).origin === origin) {
      problem(currentPage, `${response.status()} for ${response.url()}`);
    }
  });

  currentPage = "index.html";
  await page.goto(base, { waitUntil: "load" });
  const sidebar = await sidebarLinks(page);
  if (sidebar.length === 0) {
    problem("index.html", "the sidebar has no links");
    return;
  }

  const pages = new Map(); // page URL without fragment -> { ids, fragmentLinks }
  for (const target of sidebar) {
    const from = currentPage;
    currentPage = shortName(target);
    const failure = await followSidebarLink(page, target);
    if (failure) {
      problem(from, `the sidebar link to ${shortName(target)} does not lead there: ${failure}`);
      continue;
    }
    pages.set(withoutFragment(target), await checkPage(page));
  }

  // Fragment links, checked once every page's ids are known.
  for (const [pageUrl, { fragmentLinks }] of pages) {
    for (const link of fragmentLinks) {
      const targetPage = withoutFragment(link);
      let target = pages.get(targetPage);
      if (!target) {
        // A page outside the sidebar (unlikely): load it to learn its ids.
        currentPage = shortName(targetPage);
        await page.goto(targetPage, { waitUntil: "load" });
        target = { ids: await pageIds(page), fragmentLinks: [] };
        pages.set(targetPage, target);
      }
      const id = decodeURIComponent(new URL(link).hash.slice(1));
      if (id && !target.ids.includes(id)) {
        problem(shortName(pageUrl), `link to #${id} on ${shortName(targetPage)}: no such id there`);
      }
    }
  }

  if (screenshots) {
    // Every lesson chapter the sidebar lists, whichever lessons the book has.
    const lessons = [...pages.keys()].map(shortName).filter((name) => /^lesson\d+\.html$/.test(name));
    await takeScreenshots(page, lessons);
  }
}

/** The sidebar's chapter links, in order, as absolute URLs. (Under the current chapter the
 * sidebar also lists that page's headings, `.header-in-summary`: those are not chapters.) */
async function sidebarLinks(page) {
  const selector = "#mdbook-sidebar mdbook-sidebar-scrollbox a[href]:not(.header-in-summary)";
  await page.waitForSelector(selector, { timeout: STEP_MS });
  const hrefs = await page.$$eval(selector, (links) => links.map((link) => link.href));
  return [...new Set(hrefs)];
}

/**
 * Clicks the sidebar link to `target` on the current page. Returns why the browser did not
 * arrive there, or null if it did.
 */
async function followSidebarLink(page, target) {
  const links = page.locator("#mdbook-sidebar mdbook-sidebar-scrollbox a[href]:not(.header-in-summary)");
  const hrefs = await links.evaluateAll((all) => all.map((link) => link.href));
  const index = hrefs.indexOf(target);
  if (index < 0) return "this page's sidebar has no such link";
  lastPageStatus = 0;
  try {
    const navigation = page.waitForURL(target, { timeout: STEP_MS, waitUntil: "load" });
    await links.nth(index).click({ timeout: STEP_MS });
    await navigation;
  } catch (error) {
    return `no navigation (${error.message.split("\n")[0]})`;
  }
  if (lastPageStatus >= 400) return `the page answered ${lastPageStatus}`;
  return null;
}

/** Checks the page now shown; returns its ids and its links that carry a `#fragment`. */
async function checkPage(page) {
  const where = currentPage;

  // Diagrams: mermaid draws them after the page has loaded.
  const diagramCount = await page.locator("pre.mermaid").count();
  if (diagramCount > 0) {
    await page
      .waitForFunction(
        () => [...document.querySelectorAll("pre.mermaid")].every((pre) => pre.querySelector("svg")),
        null,
        { timeout: STEP_MS },
      )
      .catch(() => {});
    const diagrams = await page.$$eval("pre.mermaid", (all) =>
      all.map((pre) => ({
        drawn: pre.querySelector("svg") !== null,
        failed: pre.querySelector('svg[aria-roledescription="error"]') !== null,
        // Mermaid's error picture says what went wrong in its `.error-text` elements.
        error: [...pre.querySelectorAll(".error-text")].map((text) => text.textContent.trim()).join(" "),
      })),
    );
    diagrams.forEach((diagram, index) => {
      if (!diagram.drawn) problem(where, `diagram ${index + 1} was not drawn`);
      if (diagram.failed) {
        problem(where, `diagram ${index + 1} could not be drawn: mermaid says "${diagram.error || "error"}"`);
      }
    });
  }

  // Quizzes: the quiz script replaces each placeholder's empty body with the quiz.
  const quizCount = await page.locator(".quiz-placeholder").count();
  if (quizCount > 0) {
    await page
      .waitForFunction(
        () => [...document.querySelectorAll(".quiz-placeholder")].every((quiz) => quiz.innerText.trim() !== ""),
        null,
        { timeout: STEP_MS },
      )
      .catch(() => {});
    const empty = await page.$$eval(".quiz-placeholder", (all) => all.filter((quiz) => quiz.innerText.trim() === "").length);
    if (empty > 0) problem(where, `${empty} quiz(zes) did not render`);
  }

  const found = await page.evaluate(() => {
    const main = document.querySelector("main");
    const text = main ? main.innerText : "";
    const codeBlocks = [...document.querySelectorAll("main pre > code")];
    return {
      hasMain: main !== null,
      leftover: text.includes("{{#"),
      emptyCode: codeBlocks
        // A block in a closed <details> fold (a reference answer) is rendered but hidden,
        // and hidden text has no innerText: its text content is what the fold will show.
        .map((code, index) => ({
          index,
          shown: (code.closest("details") ? code.textContent : code.innerText).trim(),
        }))
        .filter((block) => block.shown === "")
        .map((block) => block.index + 1),
      codeCount: codeBlocks.length,
      fragmentLinks: [...document.querySelectorAll("main a[href]")]
        .map((link) => link.href)
        .filter((href) => href.includes("#")),
    };
  });
  if (!found.hasMain) problem(where, "no <main> content");
  if (found.leftover) problem(where, "a leftover `{{#` directive is shown");
  for (const index of found.emptyCode) problem(where, `code block ${index} shows nothing`);

  const fragmentLinks = found.fragmentLinks.filter((href) => new URL(href).origin === origin);
  console.log(
    `checked ${where}: ${found.codeCount} code block(s), ${diagramCount} diagram(s), ` +
      `${quizCount} quiz(zes), ${fragmentLinks.length} #link(s)`,
  );
  return { ids: await pageIds(page), fragmentLinks };
}

async function pageIds(page) {
  return page.$$eval("[id]", (all) => all.map((element) => element.id));
}

/** Pictures of what a reader sees, for a person to look at: a diagram, and a quiz opened. */
async function takeScreenshots(page, chapters) {
  fs.mkdirSync(screenshots, { recursive: true });
  // Tall enough for a whole diagram, so the page header never covers part of it.
  await page.setViewportSize({ width: 1280, height: 2400 });
  for (const chapter of chapters) {
    currentPage = chapter;
    await page.goto(new URL(chapter, base).href, { waitUntil: "load" });
    const diagram = page.locator("pre.mermaid").first();
    if ((await diagram.count()) > 0) {
      await diagram.locator("svg").waitFor({ timeout: STEP_MS });
      const file = path.join(screenshots, chapter.replace(".html", "-diagram.png"));
      await diagram.screenshot({ path: file });
      console.log(`screenshot: ${file}`);
    }
    const quiz = page.locator(".quiz-placeholder").first();
    if ((await quiz.count()) > 0) {
      // Open the quiz at its first question, as a reader who presses "Start" sees it.
      const start = quiz.getByRole("button", { name: /start/i });
      if ((await start.count()) > 0) await start.first().click();
      const file = path.join(screenshots, chapter.replace(".html", "-quiz.png"));
      await quiz.screenshot({ path: file });
      console.log(`screenshot: ${file}`);
    }
  }
}

function withoutFragment(url) {
  const parsed = new URL(url);
  parsed.hash = "";
  return parsed.href;
}

function shortName(url) {
  return new URL(url).pathname.replace(/^\//, "") || "index.html";
}

function parseArgs(args) {
  const usage = "usage: node check.mjs BASE_URL [--screenshots DIR]";
  let base = null;
  let screenshots = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--screenshots" && i + 1 < args.length) screenshots = args[++i];
    else if (!base && /^https?:\/\//.test(args[i])) base = args[i];
    else {
      console.error(usage);
      process.exit(2);
    }
  }
  if (!base) {
    console.error(usage);
    process.exit(2);
  }
  return { base: base.endsWith("/") ? base : `${base}/`, screenshots };
}
