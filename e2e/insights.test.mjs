// The leader's anonymous insight in the browser (issue 5): a leader sees the office aggregate
// for a quarter in which five clients answered, and "too few answers to show" for a quarter in
// which four answered; the CSV file says the same; axe in nb, nn and en.
//
// Leaders see only settled quarters (two weeks after a quarter ends), and the demo office holds
// a year of demo feedback. So the test makes a fresh office in the demo organisation and lets
// its clients answer "in the past":
//
// 1. `serve --demo --clock-shift-days N` puts the server in the middle of the quarter before
//    the latest settled one (Q1). The administrator creates the office "Testby kontor", two
//    counselors and a leader on the admin pages; `vendepunkt-dev add-client` adds five clients
//    with accounts (set up from a script instead of driving the counselor's form on
//    /caseload/new), three followed by one counselor and two by the other. Clients 1–4 log in and answer.
// 2. The same database, the server moved to the middle of the latest settled quarter (Q2):
//    all five clients answer (the fifth by keyboard only).
// 3. The same database at the real time: the leader sees Q2 with 5 clients and the means of
//    what they answered, and Q1 as "too few answers to show".
//
// Two quarters instead of a fifth answer added to a quarter the leader has already seen: once
// a quarter is settled nothing can be added to it in real use, so a dashboard may keep its
// figures; this test must hold either way. The only reason Q1 is hidden is the count: its
// four clients have two counselors, no team (so the "not in a team" row equals the office)
// and no skipped items, and nobody was asked without answering.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DEMO, LANGUAGES, startServer, launchBrowser, newContext, login, binaryPath,
  expectNoAxeViolations, screenshot,
} from './helpers.mjs';

const run = promisify(execFile);
const DAY_MS = 24 * 60 * 60 * 1000;
const THEMES = ['relation', 'reciprocity', 'choices', 'time', 'knowledge', 'knowledge-sharing'];
const OFFICE = 'Testby kontor';
const STAFF_PASSWORD = 'Testby-staff-passord-2026';
const CLIENT_PASSWORD = 'Testby-client-passord-2026';
const COUNSELORS = [
  { username: 'testby-counselor-a', name: 'Anne Andersen' },
  { username: 'testby-counselor-b', name: 'Bjørn Bakken' },
];
const LEADER = { username: 'testby-leader', name: 'Lise Lund' };
// Clients 1, 3 and 5 are followed by counselor a, 2 and 4 by counselor b.
const CLIENTS = [1, 2, 3, 4, 5].map((i) => ({
  username: `testby-client-${i}`,
  name: `Testperson Nummer${i}`,
  counselor: COUNSELORS[(i - 1) % 2].username,
}));
// Scores per client (themes in the order above); every item answered.
const Q1_SCORES = [
  [5, 5, 5, 5, 5, 5],
  [6, 4, 6, 4, 6, 4],
  [3, 7, 3, 7, 3, 7],
  [8, 8, 2, 2, 9, 9],
];
const Q2_SCORES = [
  [8, 7, 6, 5, 9, 7],
  [6, 7, 5, 4, 8, 6],
  [7, 9, 6, 6, 7, 8],
  [9, 6, 7, 3, 8, 5],
  [4, 8, 3, 5, 6, 9],
];
// Each client answers once per quarter, so a theme's figure is the mean of the five scores.
const Q2_MEANS = THEMES.map((_, t) => Q2_SCORES.reduce((sum, s) => sum + s[t], 0) / Q2_SCORES.length);

/** The calendar quarter of a time as [year, number], in Oslo time like the server. */
function quarterOf(ms) {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', year: 'numeric', month: 'numeric' })
    .formatToParts(new Date(ms));
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return [part('year'), Math.floor((part('month') - 1) / 3) + 1];
}
function previous([y, n]) {
  return n === 1 ? [y - 1, 4] : [y, n - 1];
}
function label([y, n]) {
  return `${y}-Q${n}`;
}
/** Whole days from now back to the 45th day of the quarter (negative: the past). */
function shiftTo([y, n]) {
  const middle = Date.UTC(y, 3 * (n - 1), 1) + 45 * DAY_MS;
  return -Math.ceil((Date.now() - middle) / DAY_MS);
}

// The latest settled quarter at the real time, and the one before it.
const Q2 = previous(quarterOf(Date.now() - 14 * DAY_MS));
const Q1 = previous(Q2);

let browser;
let dir;
let server;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function restart(name, args = []) {
  await server?.stop({ keep: true });
  server = await startServer(name, { dir, args });
  return server;
}

/** The development tools' binary (`cargo build -p devtools`), next to the server's binary. */
function devBinaryPath() {
  return join(dirname(binaryPath()), 'vendepunkt-dev');
}

/** `vendepunkt-dev add-client` on the server's database (a clean environment). */
async function addClient(c) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VENDEPUNKT_')));
  const passwordFile = join(dir, 'client-password');
  writeFileSync(passwordFile, `${CLIENT_PASSWORD}\n`);
  const { stdout } = await run(devBinaryPath(), [
    '--database', server.database, 'add-client',
    '--username', c.username, '--name', c.name, '--office', OFFICE,
    '--counselor', c.counselor, '--password-file', passwordFile,
  ], { cwd: dir, env });
  assert.match(stdout, new RegExp(`added client ${c.username} .* at ${OFFICE}`));
}

/** The administrator makes the office, two counselors and a leader on the admin pages. */
async function setUpOffice() {
  const context = await newContext(browser, server, { locale: 'en-GB' });
  const page = await context.newPage();
  try {
    await login(page, DEMO.admin.username, DEMO.admin.home);
    await page.goto('/admin/offices');
    await page.locator('#name').fill(OFFICE);
    await Promise.all([page.waitForURL((u) => u.pathname === '/admin/offices'), page.locator('form.card button[type="submit"]').click()]);
    assert.match(await page.locator('main').innerText(), new RegExp(OFFICE));
    for (const [person, role] of [[COUNSELORS[0], 'counselor'], [COUNSELORS[1], 'counselor'], [LEADER, 'leader']]) {
      await page.goto('/admin/people');
      await page.locator('#username').fill(person.username);
      await page.locator('#display_name').fill(person.name);
      await page.locator('#password').fill(STAFF_PASSWORD);
      await page.locator('#role').selectOption(role);
      await page.locator('#office_id').selectOption({ label: OFFICE });
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.locator('form[action="/admin/people"] button[type="submit"]').click(),
      ]);
      await page.waitForLoadState('load');
      assert.equal(new URL(page.url()).pathname, '/admin/people', `${person.username} was created`);
      assert.match(await page.locator('#people-caption').locator('..').innerText(), new RegExp(person.username));
    }
  } catch (e) {
    await screenshot(page, 'insights-admin');
    throw e;
  } finally {
    await context.close();
  }
}

/** Presses Tab until the focused element satisfies `check` (at most `max` times). */
async function tabTo(page, check, what, max = 60) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(check)) return;
  }
  assert.fail(`could not reach ${what} with Tab`);
}

/** A client logs in and answers every item; with `keyboard`, by keyboard only. */
async function answer(client, scores, { share, keyboard = false }) {
  const context = await newContext(browser, server, { locale: 'en-GB' });
  const page = await context.newPage();
  try {
    await login(page, client.username, '/me', CLIENT_PASSWORD);
    await page.goto('/me/feedback/new');
    if (keyboard) {
      // Tab lands on a scale's checked "Skip"; ArrowLeft moves to 10, 9, … (11 − v presses).
      await tabTo(page, () => document.activeElement?.getAttribute('name') === 'item-relation', 'the first scale');
      for (const [n, v] of scores.entries()) {
        for (let i = 0; i < 11 - v; i += 1) await page.keyboard.press('ArrowLeft');
        const focused = await page.evaluate(() => ({ name: document.activeElement.name, value: document.activeElement.value, checked: document.activeElement.checked }));
        assert.deepEqual(focused, { name: `item-${THEMES[n]}`, value: String(v), checked: true });
        await page.keyboard.press('Tab');
      }
      await tabTo(page, () => document.activeElement?.getAttribute('name') === 'share', 'the sharing choice');
      // No earlier choice: the first radio (yes) has focus and nothing is checked yet.
      if (!share) await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Space');
      await tabTo(page, () => document.activeElement?.getAttribute('type') === 'submit', 'the submit button', 5);
      await Promise.all([page.waitForURL((u) => u.pathname === '/me/feedback'), page.keyboard.press('Enter')]);
    } else {
      for (const [n, v] of scores.entries()) await page.locator(`label[for="item-${THEMES[n]}-${v}"]`).click();
      await page.locator(share ? '#share-yes' : '#share-no').check();
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/me/feedback'),
        page.locator('form.feedback-form button[type="submit"]').click(),
      ]);
    }
    assert.match(await page.locator('#feedback-notice').innerText(), /Your answer is saved/);
    const latest = await page.locator('.feedback-response').first().innerText();
    assert.match(latest, share ? /Shared with your counselor/ : /Not shared/);
  } catch (e) {
    await screenshot(page, `insights-${client.username}`);
    throw e;
  } finally {
    await context.close();
  }
}

/** The cells of the row whose header cell is `head`, in the table captioned `caption`. */
async function row(page, caption, head) {
  const table = page.locator('table', { has: page.locator('caption', { hasText: caption }) });
  const tr = table.locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${head}$`) }) });
  assert.equal(await tr.count(), 1, `one row ${head} in the table "${caption}"`);
  return (await tr.locator('td').allInnerTexts()).map((s) => s.trim());
}

const TOO_FEW = 'too few answers to show';
const en = (x) => x.toFixed(1);

test('a leader sees the office aggregate for five clients and "too few answers to show" for four', { timeout: 240_000 }, async () => {
  assert.ok(shiftTo(Q1) < -14 && shiftTo(Q2) < 0, `shifts ${shiftTo(Q1)} and ${shiftTo(Q2)} days`);

  // 1. In the middle of Q1: the office, its people, five clients; four of them answer.
  server = await startServer('insights-q1', { args: ['--clock-shift-days', String(shiftTo(Q1))] });
  dir = server.dir;
  assert.match(server.log.join(''), /DEVELOPMENT CLOCK/, 'the shift is printed at start');
  await setUpOffice();
  for (const c of CLIENTS) await addClient(c);
  for (let i = 0; i < 4; i += 1) await answer(CLIENTS[i], Q1_SCORES[i], { share: i % 2 === 0 });

  // 2. In the middle of Q2: all five answer, the fifth by keyboard only.
  await restart('insights-q2', ['--clock-shift-days', String(shiftTo(Q2))]);
  for (let i = 0; i < 5; i += 1) {
    await answer(CLIENTS[i], Q2_SCORES[i], { share: i % 2 === 1, keyboard: i === 4 });
  }

  // 3. The real time: both quarters are settled.
  await restart('insights-now');
  const context = await newContext(browser, server, { locale: 'en-GB' });
  const page = await context.newPage();
  try {
    await login(page, LEADER.username, '/insights', STAFF_PASSWORD);
    const office = page.locator('section.insights-office');
    assert.equal(await office.count(), 1, 'the leader sees their one office');
    assert.equal((await office.locator('h2').innerText()).trim(), OFFICE);

    // The office and team side by side in Q2 (the latest quarter, chosen by default).
    const means = Q2_MEANS.map(en);
    const teamsCaption = `Teams in ${label(Q2)}`;
    assert.deepEqual(await row(page, teamsCaption, 'Whole office'), ['5', '5', '100 %', ...means]);
    assert.deepEqual(await row(page, teamsCaption, 'Not in a team'), ['5', '5', '100 %', ...means]);

    // Each theme over the quarters: Q2 shown with its 5 clients, Q1 hidden.
    const names = ['Respect', 'Deciding together', 'Choices', 'Time', 'Knowledge', 'Knowing what happens'];
    for (const [t, name] of names.entries()) {
      const caption = `${name}, average from 0 to 10, by quarter`;
      assert.deepEqual(await row(page, caption, label(Q2)), [means[t], '5'], `${name} in ${label(Q2)}`);
      assert.deepEqual(await row(page, caption, label(Q1)), [TOO_FEW, TOO_FEW], `${name} in ${label(Q1)}`);
    }
    assert.equal(
      (await page.locator('#chart-0-relation-summary').innerText()).trim(),
      `Respect: ${means[0]} of 10 in ${label(Q2)}. The quarter before has too few answers to show.`,
    );
    const rates = 'Clients asked and clients who answered, by quarter';
    assert.deepEqual(await row(page, rates, label(Q2)), ['5', '5', '100 %']);
    assert.deepEqual(await row(page, rates, label(Q1)), [TOO_FEW, TOO_FEW, TOO_FEW]);
    await expectNoAxeViolations(page, `leader: insight with a shown quarter [en]`);

    // Q1 chosen: four clients, everything hidden, and no number behind it in the table.
    await page.locator(`a[href="/insights?quarter=${label(Q1)}"]`).first().click();
    await page.waitForURL((u) => u.search === `?quarter=${label(Q1)}`);
    const q1Caption = `Teams in ${label(Q1)}`;
    for (const unit of ['Whole office', 'Not in a team']) {
      assert.deepEqual(await row(page, q1Caption, unit), Array(9).fill(TOO_FEW), `${unit} in ${label(Q1)}`);
    }
    await expectNoAxeViolations(page, `leader: insight with a hidden quarter [en]`);

    // The CSV file holds the same figures.
    // As a download from the page (the request carries the page's cookies and language).
    const csv = await context.request.get('/insights/export.csv', { headers: { 'Accept-Language': 'en-GB' } });
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-disposition'] ?? '', /^attachment/);
    const lines = (await csv.text()).replace(/^\uFEFF/, '').split('\r\n');
    // Every cell is quoted; none of the names or figures here holds a quote or a comma.
    const unquote = (line) => line.split(',').map((c) => c.replace(/^"(.*)"$/, '$1'));
    const cells = (unit, q, measure) => {
      const found = lines.map(unquote).filter((c) => c.slice(0, 4).join(',') === `${OFFICE},${unit},${label(q)},${measure}`);
      assert.equal(found.length, 1, `one CSV row for ${unit} ${label(q)} ${measure} in:\n${lines.slice(0, 12).join('\n')}`);
      return found[0].slice(4);
    };
    assert.deepEqual(cells('Whole office', Q2, 'reached'), ['5', '', '']);
    assert.deepEqual(cells('Whole office', Q2, 'answered'), ['5', '', '100']);
    for (const [t, theme] of THEMES.entries()) {
      assert.deepEqual(cells('Whole office', Q2, theme), ['5', means[t], '']);
      assert.deepEqual(cells('Whole office', Q1, theme), [TOO_FEW, '', '']);
    }
    assert.deepEqual(cells('Whole office', Q1, 'answered'), [TOO_FEW, '', '']);
  } catch (e) {
    await screenshot(page, 'insights-leader');
    throw e;
  } finally {
    await context.close();
  }

  // Answers written under a shifted clock leave the audit trail verifiable.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VENDEPUNKT_')));
  const { stdout } = await run(binaryPath(), ['--database', server.database, 'audit', 'verify'], { cwd: dir, env });
  assert.match(stdout, /audit trail intact/);

  // axe on the leader's page in every language.
  for (const { locale, lang } of LANGUAGES) {
    const ctx = await newContext(browser, server, { locale });
    const p = await ctx.newPage();
    try {
      await login(p, LEADER.username, '/insights', STAFF_PASSWORD);
      assert.equal(await p.locator('html').getAttribute('lang'), lang);
      // Means with a decimal comma in Norwegian.
      const decimal = lang === 'en' ? (m) => m : (m) => m.replace('.', ',');
      assert.match(await p.locator('main').innerText(), new RegExp(decimal(en(Q2_MEANS[0])).replace('.', '\\.')));
      await expectNoAxeViolations(p, `leader: insight [${lang}]`);
    } catch (e) {
      await screenshot(p, `insights-leader-${lang}`);
      throw e;
    } finally {
      await ctx.close();
    }
  }
});
