// Meetings as the two people meet them, in two browser contexts: the counselor proposes a
// meeting ten minutes ahead (notes may be written from a quarter of an hour before the start,
// so the test need not wait), the client accepts it and adds an agenda point (shown before the
// counselor's), the counselor shares notes, the client comments asking for a correction — each
// change appearing on the other side's open page without a reload (typed text kept) — and the
// calendar file parses with a strict RFC 5545 reader. axe on every page, and the meeting page
// fits a 320 px phone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO, LANGUAGES, startServer, launchBrowser, newContext, login, pathOf, htmlLang, expectNoAxeViolations, screenshot,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('meetings');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function submit(page, button) {
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    button.click(),
  ]);
  await page.waitForLoadState('load');
}

/** `d` as Oslo wall-clock time, the way a `datetime-local` field holds it. */
function osloLocal(d) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Oslo',
      year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(d).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** `d` as an iCalendar UTC date-time (`20260305T090000Z`). */
function icsUtc(d) {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A strict, small iCalendar reader: CRLF only, physical lines of at most 75 octets, unfolding,
 * `NAME[;params]:value` lines, BEGIN/END properly nested, exactly one top-level VCALENDAR.
 */
function parseIcs(text) {
  assert.ok(text.endsWith('\r\n'), 'the file ends with CRLF');
  assert.ok(!/[^\r]\n/.test(text) && !/^\n/.test(text), 'no bare LF');
  assert.ok(!/\r(?!\n)/.test(text), 'no bare CR');
  const physical = text.slice(0, -2).split('\r\n');
  const lines = [];
  for (const l of physical) {
    assert.ok(Buffer.byteLength(l, 'utf8') <= 75, `line longer than 75 octets: ${l}`);
    if (l.startsWith(' ') || l.startsWith('\t')) {
      assert.ok(lines.length > 0, 'a continuation line needs a line before it');
      lines[lines.length - 1] += l.slice(1);
    } else {
      lines.push(l);
    }
  }
  const stack = [];
  const top = [];
  for (const line of lines) {
    const m = line.match(/^([A-Za-z][A-Za-z0-9-]*)((?:;[^:]*)?):(.*)$/);
    assert.ok(m, `not a content line: ${JSON.stringify(line)}`);
    const [, rawName, , value] = m;
    const name = rawName.toUpperCase();
    if (name === 'BEGIN') {
      stack.push({ type: value.toUpperCase(), props: {}, children: [] });
    } else if (name === 'END') {
      const c = stack.pop();
      assert.ok(c, `END:${value} without BEGIN`);
      assert.equal(c.type, value.toUpperCase(), 'BEGIN and END nest');
      (stack.length ? stack[stack.length - 1].children : top).push(c);
    } else {
      assert.ok(stack.length > 0, `${name} outside a component`);
      (stack[stack.length - 1].props[name] ??= []).push(value);
    }
  }
  assert.equal(stack.length, 0, 'every BEGIN has its END');
  assert.equal(top.length, 1, 'one calendar');
  assert.equal(top[0].type, 'VCALENDAR');
  return top[0];
}

function one(component, name) {
  const v = component.props[name];
  assert.ok(v && v.length === 1, `${component.type} has exactly one ${name}`);
  return v[0];
}

function unescapeText(v) {
  return v.replace(/\\([\\;,nN])/g, (_, c) => (c === 'n' || c === 'N' ? '\n' : c));
}

test('a meeting is proposed, accepted, prepared, noted and commented on', { timeout: 300_000 }, async () => {
  const contexts = [];
  const open = async (options = {}) => {
    const c = await newContext(browser, server, { locale: 'en-GB', ...options });
    contexts.push(c);
    return c.newPage();
  };
  try {
    // The client finds Meetings from the plan.
    const client = await open({ viewport: { width: 320, height: 800 } });
    await login(client, DEMO.client.username, '/me');
    await client.getByRole('link', { name: 'Meetings', exact: true }).click();
    await client.waitForLoadState('load');
    const listPath = pathOf(client);
    assert.match(listPath, /^\/clients\/[^/]+\/meetings$/);
    const list = await client.locator('main').innerText();
    assert.match(list, /Coming up/);
    assert.match(list, /Earlier meetings/);
    assert.match(list, /Waiting for your answer/, 'the demo proposal waits for Kari');
    await expectNoAxeViolations(client, 'client: meetings');

    // The counselor proposes a video meeting starting in ten minutes.
    const counselor = await open();
    await login(counselor, DEMO.counselor.username, '/caseload');
    await counselor.goto(listPath);
    await expectNoAxeViolations(counselor, 'counselor: meetings');
    const start = new Date(Date.now() + 10 * 60_000);
    start.setSeconds(0, 0);
    const purpose = 'Check-in about the CV; dates, and "next steps"';
    await counselor.locator('#starts_at').fill(osloLocal(start));
    await counselor.locator('#duration_minutes').fill('30');
    await counselor.locator('#mode').selectOption('video');
    await counselor.locator('#place').fill('Vera sends a link');
    await counselor.locator('#purpose').fill(purpose);
    await submit(counselor, counselor.getByRole('button', { name: 'Suggest the meeting' }));
    const meetingPath = pathOf(counselor);
    assert.match(meetingPath, /^\/clients\/[^/]+\/meetings\/[0-9a-f-]+$/);
    // The client's open list shows the proposal without a reload.
    await client.locator('#meeting-lists').getByText(purpose).waitFor({ timeout: 15_000 });
    assert.equal(pathOf(client), listPath);
    assert.match(await counselor.locator('#meeting-when').innerText(), new RegExp(osloLocal(start).replace('T', ' ')));
    assert.match(await counselor.locator('main').innerText(), /Waiting for an answer from the client/);
    await counselor.locator('#agenda_text').fill('Counselor: next steps after the course');
    await submit(counselor, counselor.getByRole('button', { name: 'Add to the agenda' }));
    await expectNoAxeViolations(counselor, 'counselor: meeting proposed');

    // The counselor keeps the meeting page open (and starts typing another point) while the
    // client answers: the answer and the client's point appear there without a reload, and
    // the half-typed text stays.
    const counselorUrl = counselor.url();
    let counselorReloaded = false;
    counselor.on('framenavigated', (f) => { if (f === counselor.mainFrame()) counselorReloaded = true; });
    await counselor.locator('#agenda_text').fill('half-typed, not sent');

    // The client accepts and adds a point, which is shown before the counselor's.
    await client.goto(meetingPath);
    assert.match(await client.locator('main').innerText(), /Waiting for your answer/);
    await expectNoAxeViolations(client, 'client: meeting to answer');
    await submit(client, client.getByRole('button', { name: 'Accept the time' }));
    assert.match(await client.locator('#meeting-status').innerText(), /Agreed/);
    await counselor.locator('#meeting-status').getByText('Agreed').waitFor({ timeout: 15_000 });
    await client.locator('#agenda_text').fill('Client: I want help with my CV');
    await submit(client, client.getByRole('button', { name: 'Add to the agenda' }));
    await counselor.locator('#agenda-list').getByText('Client: I want help with my CV').waitFor({ timeout: 15_000 });
    assert.equal(counselorReloaded, false, 'the counselor\'s page was not reloaded');
    assert.equal(counselor.url(), counselorUrl);
    const live = await counselor.locator('#agenda-list li').allInnerTexts();
    assert.match(live[0], /Client: I want help with my CV/, 'the client\'s point first, live too');
    assert.equal(await counselor.locator('#agenda_text').inputValue(), 'half-typed, not sent');
    await expectNoAxeViolations(counselor, 'counselor: meeting updated live');
    await counselor.locator('#agenda_text').fill('');
    const points = await client.locator('#agenda-list li').allInnerTexts();
    assert.equal(points.length, 2);
    assert.match(points[0], /Client: I want help with my CV/, 'the client\'s point comes first');
    assert.match(points[1], /Counselor: next steps/);
    assert.match(await client.locator('#notes').locator('..').innerText(), /Your counselor has not shared notes yet/);
    const width = await client.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 320, `the meeting page is ${width} px wide at a 320 px viewport`);
    await expectNoAxeViolations(client, 'client: agreed meeting with agenda');

    // The counselor writes notes (the meeting starts within a quarter of an hour) and shares them.
    await counselor.goto(meetingPath);
    await counselor.locator('#notes_text').fill('We went through the CV. Kari updates it by Friday.');
    await expectNoAxeViolations(counselor, 'counselor: notes form');
    await submit(counselor, counselor.getByRole('button', { name: 'Save and share with the client' }));
    assert.match(await counselor.locator('#shared-notes').innerText(), /Kari updates it by Friday/);
    await expectNoAxeViolations(counselor, 'counselor: notes shared');

    // The client's open page shows the shared notes without a reload; she asks for a
    // correction, kept with the notes.
    await client.locator('#shared-notes').getByText(/Kari updates it by Friday/).waitFor({ timeout: 15_000 });
    await client.locator('#comment').fill('It was Monday, not Friday.');
    await client.locator('#correction').check();
    await submit(client, client.getByRole('button', { name: 'Send the comment' }));
    const comments = await client.locator('#comments').innerText();
    assert.match(comments, /It was Monday, not Friday\./);
    assert.match(comments, /Asks for a correction/);
    await expectNoAxeViolations(client, 'client: notes with comment');
    // And the comment appears on the counselor's open page by itself.
    await counselor.locator('#comments').getByText('It was Monday, not Friday.').waitFor({ timeout: 15_000 });

    // The calendar file, as the client downloads it.
    const link = client.getByRole('link', { name: 'Add the meeting to your calendar (.ics)' });
    assert.equal(await link.getAttribute('href'), `${meetingPath}/calendar.ics`);
    // The request context shares the cookies but not the page's language.
    const response = await client.request.get(`${meetingPath}/calendar.ics`, { headers: { 'Accept-Language': 'en-GB' } });
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['content-type'], 'text/calendar; charset=utf-8');
    assert.match(response.headers()['content-disposition'], /^attachment;/);
    const calendar = parseIcs(await response.text());
    assert.equal(one(calendar, 'VERSION'), '2.0');
    assert.ok(one(calendar, 'PRODID').length > 0);
    assert.equal(calendar.children.length, 1);
    const event = calendar.children[0];
    assert.equal(event.type, 'VEVENT');
    const id = meetingPath.split('/').pop();
    assert.equal(one(event, 'UID'), `${id}@vendepunkt`);
    for (const p of ['DTSTAMP', 'DTSTART', 'DTEND']) {
      assert.match(one(event, p), /^\d{8}T\d{6}Z$/, `${p} is a UTC date-time`);
    }
    assert.equal(one(event, 'DTSTART'), icsUtc(start));
    assert.equal(one(event, 'DTEND'), icsUtc(new Date(start.getTime() + 30 * 60_000)));
    assert.equal(one(event, 'STATUS'), 'CONFIRMED');
    assert.equal(unescapeText(one(event, 'SUMMARY')), purpose);
    assert.equal(unescapeText(one(event, 'LOCATION')), 'Video meeting: Vera sends a link');
    assert.ok(!/Kari|Demo/.test(await response.text()), 'no names in the calendar file');
  } catch (e) {
    for (const [i, c] of contexts.entries()) {
      for (const p of c.pages()) await screenshot(p, `meetings-failure-${i}`);
    }
    throw e;
  } finally {
    for (const c of contexts) await c.close();
  }
});

test('the meeting pages pass axe in bokmål, nynorsk and English, for both sides', { timeout: 300_000 }, async () => {
  for (const { locale, lang } of LANGUAGES) {
    for (const who of [DEMO.client, DEMO.counselor]) {
      const context = await newContext(browser, server, { locale });
      try {
        const page = await context.newPage();
        await login(page, who.username, who.home);
        if (who === DEMO.client) {
          await page.locator('.plan-links a[href$="/meetings"]').click();
          await page.waitForLoadState('load');
        } else {
          await page.locator('main a[href^="/clients/"]').filter({ hasText: DEMO.client.name }).first().click();
          await page.waitForLoadState('load');
          await page.locator('.plan-links a[href$="/meetings"]').click();
          await page.waitForLoadState('load');
        }
        assert.equal(await htmlLang(page), lang);
        await expectNoAxeViolations(page, `${who.username} ${lang}: meetings`);
        // Every demo meeting: the earlier one with notes and a comment, the agreed one, the proposal.
        const links = await page.locator('.meeting-line a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        assert.ok(links.length >= 3, `${links.length} meetings listed`);
        for (const href of links) {
          await page.goto(href);
          await expectNoAxeViolations(page, `${who.username} ${lang}: ${href}`);
        }
      } catch (e) {
        for (const p of context.pages()) await screenshot(p, `meetings-${lang}-${who.username}`);
        throw e;
      } finally {
        await context.close();
      }
    }
  }
});

test('without JavaScript the client accepts a proposal and adds an agenda point', { timeout: 300_000 }, async () => {
  const context = await newContext(browser, server, { locale: 'en-GB', javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await login(page, DEMO.client.username, '/me');
    await page.locator('.plan-links a[href$="/meetings"]').click();
    await page.waitForLoadState('load');
    // The demo proposal from Vera that waits for Kari.
    await page.locator('.meeting-line').filter({ hasText: 'Waiting for your answer' }).first().locator('a').click();
    await page.waitForLoadState('load');
    await submit(page, page.getByRole('button', { name: 'Accept the time' }));
    assert.match(await page.locator('#meeting-status').innerText(), /Agreed/);
    await page.locator('#agenda_text').fill('Without JavaScript: my own point');
    await submit(page, page.getByRole('button', { name: 'Add to the agenda' }));
    const points = await page.locator('#agenda-list li').allInnerTexts();
    assert.match(points[0], /Without JavaScript: my own point/);
    // (axe needs JavaScript; the same pages pass it in the test above.)
  } catch (e) {
    for (const p of context.pages()) await screenshot(p, 'meetings-no-js');
    throw e;
  } finally {
    await context.close();
  }
});
