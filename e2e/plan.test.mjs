// The shared plan as the two people meet it, in two browser contexts: the client writes a goal,
// proposes an own activity linked to it, browses the catalogue, reads a measure's consequences
// and proposes an internship she found herself; the counselor approves it and proposes a
// condition with its consequence; the client confirms having seen it; the activity is agreed; a
// change to the terms waits for the client's confirmation; both read the history. axe runs on
// every page on the way.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO, startServer, launchBrowser, newContext, login, pathOf, expectNoAxeViolations, screenshot,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('plan');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Submits the form holding `button` and waits for the page that answers (after redirects). */
async function submit(page, button) {
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    button.click(),
  ]);
  await page.waitForLoadState('load');
}

async function checked(page, label) {
  await expectNoAxeViolations(page, label);
}

test('client and counselor agree on a plan, with the consequences on the table', { timeout: 600_000 }, async () => {
  const contexts = [];
  const open = async () => {
    const c = await newContext(browser, server, { locale: 'en-GB' });
    contexts.push(c);
    return c.newPage();
  };
  try {
    const client = await open();
    await login(client, DEMO.client.username, '/me');
    await checked(client, 'client home');

    // A goal in her own words.
    await client.locator('#text').fill('Work with people, in the mornings');
    await submit(client, client.getByRole('button', { name: 'Add goal' }));
    assert.equal(pathOf(client), '/me');
    await client.getByText('Work with people, in the mornings', { exact: true }).waitFor();
    await checked(client, 'client home with a new goal');

    // An own activity linked to that goal.
    await client.getByRole('link', { name: 'Propose a new activity' }).click();
    await client.waitForLoadState('load');
    await checked(client, 'new activity form');
    await client.locator('#title').fill('Volunteer at the library café');
    await client.locator('#goal_id').selectOption({ label: 'Work with people, in the mornings' });
    await submit(client, client.getByRole('button', { name: 'Propose activity' }));
    assert.match(pathOf(client), /^\/clients\/[^/]+\/activities\/[^/]+$/);
    assert.match(await client.locator('main').innerText(), /Waiting for the counselor/);
    await checked(client, 'own activity proposed');
    const clientId = pathOf(client).split('/')[2];

    // The catalogue, and one measure's consequences before deciding anything.
    await client.goto('/me');
    await client.getByRole('link', { name: 'Measures you can choose from' }).first().click();
    await client.waitForLoadState('load');
    await checked(client, 'catalogue');
    await client.getByRole('link', { name: 'Jobbklubb', exact: true }).click();
    await client.waitForLoadState('load');
    const measure = await client.locator('main').innerText();
    assert.match(measure, /What saying no means/);
    assert.match(measure, /kan støtten bli redusert/, 'the consequence of saying no is shown');
    await checked(client, 'measure with its consequences');

    // Her own arrangement: an internship she found herself.
    await client.getByRole('link', { name: 'Back to the catalogue' }).click();
    await client.getByRole('link', { name: /Propose your own arrangement/ }).click();
    await client.waitForLoadState('load');
    await client.locator('#title').fill('Internship at Demo Bakery');
    await client.locator('#employer').fill('Demo Bakery (invented)');
    await client.locator('#start').fill('2027-01-11');
    await client.locator('#end').fill('2027-03-05');
    await submit(client, client.getByRole('button', { name: 'Propose activity' }));
    const internshipPath = pathOf(client);
    assert.match(internshipPath, /^\/clients\/[^/]+\/activities\/[^/]+$/);
    await checked(client, 'internship proposed');

    // The counselor approves it from one screen.
    const counselor = await open();
    await login(counselor, DEMO.counselor.username, '/caseload');
    await counselor.getByRole('link', { name: 'Kari Demo', exact: true }).click();
    await counselor.waitForLoadState('load');
    assert.equal(pathOf(counselor), `/clients/${clientId}`);
    await checked(counselor, 'counselor view of the client');
    await submit(counselor, counselor.getByRole('button', { name: 'Approve «Internship at Demo Bakery»' }));
    assert.equal(pathOf(counselor), `/clients/${clientId}`);
    assert.equal(await counselor.getByRole('button', { name: 'Approve «Internship at Demo Bakery»' }).count(), 0);

    // ... and proposes a condition with its consequence and an adaptation.
    await counselor.goto(internshipPath);
    assert.match(await counselor.locator('main').innerText(), /Planned/);
    await counselor.locator('summary', { hasText: 'Propose an agreement' }).click();
    await counselor.locator('#what').fill('Kari works at the bakery three mornings a week.');
    await counselor.locator('#how_often').fill('Three mornings a week');
    await counselor.locator('#condition').check();
    await counselor.locator('#consequence').fill('If the internship is not followed, the benefit can be reduced. We talk first.');
    await counselor.locator('#adaptation').fill('Starts at ten on Mondays.');
    await counselor.locator('#adaptation_reason').fill('The first bus on Mondays is late.');
    await checked(counselor, 'agreement form');
    await submit(counselor, counselor.getByRole('button', { name: 'Send proposal' }));
    assert.equal(pathOf(counselor), internshipPath);
    assert.match(await counselor.locator('main').innerText(), /Proposed agreement, from the counselor/);

    // The client sees the consequence, must tick that she read it, and confirms.
    await client.goto(internshipPath);
    const proposal = await client.locator('main').innerText();
    assert.match(proposal, /If the internship is not followed, the benefit can be reduced/);
    assert.match(proposal, /Starts at ten on Mondays/);
    await checked(client, 'condition to confirm');
    assert.equal(await client.locator('#consequence_seen').getAttribute('required'), '', 'the box must be ticked');
    await client.locator('#consequence_seen').check();
    await submit(client, client.getByRole('button', { name: 'I confirm this agreement' }));
    assert.equal(pathOf(client), internshipPath);
    await client.locator('.ds-tag', { hasText: 'Agreed' }).first().waitFor();
    await checked(client, 'agreed activity');

    // A change to the terms needs the client's confirmation; until then the old terms hold.
    await counselor.goto(internshipPath);
    await counselor.locator('summary', { hasText: 'Propose a change to the agreement' }).click();
    await counselor.locator('#how_often').fill('Two mornings a week');
    await counselor.locator('#what').fill('Kari works at the bakery two mornings a week.');
    await submit(counselor, counselor.getByRole('button', { name: 'Send proposed change' }));
    const waiting = await counselor.locator('main').innerText();
    assert.match(waiting, /Proposed change, from the counselor/);
    assert.match(waiting, /three mornings a week/, 'the agreed terms still hold');

    await client.goto('/me');
    assert.match(await client.locator('#waiting-heading + ul').innerText(), /Internship at Demo Bakery/, 'the change waits for the client');
    await client.goto(internshipPath);
    await client.locator('#consequence_seen').check();
    await submit(client, client.getByRole('button', { name: 'I confirm this agreement' }));
    const agreed = await client.locator('#agreement-heading').locator('..').innerText();
    assert.match(agreed, /two mornings a week/);
    assert.doesNotMatch(agreed, /Proposed change/);

    // Both see the history in sentences.
    for (const [page, who] of [[client, 'client'], [counselor, 'counselor']]) {
      await page.goto(`/clients/${clientId}/history`);
      const history = await page.locator('main').innerText();
      assert.match(history, /Vera Veileder \(Counselor\) confirmed the changed agreement for|Kari Demo \(Client\) confirmed the changed agreement for/);
      assert.match(history, /proposed a change to the agreement for: «Internship at Demo Bakery»/);
      assert.match(history, /Kari Demo \(Client\) added the goal: «Work with people, in the mornings»/);
      await checked(page, `history as ${who}`);
    }

    // The paper copy.
    await client.goto(`/clients/${clientId}/print`);
    assert.match(await client.locator('main').innerText(), /two mornings a week/);
    await checked(client, 'print view');
  } catch (e) {
    for (const [i, c] of contexts.entries()) {
      for (const p of c.pages()) await screenshot(p, `plan-failure-${i}`);
    }
    throw e;
  } finally {
    for (const c of contexts) await c.close();
  }
});

test('two people saving the same activity at once: one wins, the other sees the conflict', { timeout: 300_000 }, async () => {
  const contexts = [];
  const open = async () => {
    const c = await newContext(browser, server, { locale: 'en-GB' });
    contexts.push(c);
    return c.newPage();
  };
  try {
    const client = await open();
    await login(client, DEMO.client.username, '/me');
    await client.getByRole('link', { name: 'Propose a new activity' }).click();
    await client.locator('#title').fill('Swim twice a week');
    await submit(client, client.getByRole('button', { name: 'Propose activity' }));
    const path = pathOf(client);

    const counselor = await open();
    await login(counselor, DEMO.counselor.username, '/caseload');
    await counselor.goto(path);

    // Both have the same version open; both save.
    await client.locator('form[action$="' + path.split('/').pop() + '"] #title').fill('Swim twice a week, mornings');
    await counselor.locator('form[action$="' + path.split('/').pop() + '"] #title').fill('Swim on Tuesdays and Fridays');
    await submit(client, client.getByRole('button', { name: 'Save changes' }));
    await submit(counselor, counselor.getByRole('button', { name: 'Save changes' }));

    assert.equal(await client.locator('h1').innerText(), 'Swim twice a week, mornings');
    const alert = await counselor.locator('[role="alert"]').innerText();
    assert.match(alert, /Someone else changed this while you were working/);
    assert.equal(await counselor.locator('h1').innerText(), 'Swim twice a week, mornings', 'the current values are shown');
    assert.equal(await counselor.locator('#title').inputValue(), 'Swim on Tuesdays and Fridays', 'the counselor\'s input is kept');
    await expectNoAxeViolations(counselor, 'conflict message');
  } catch (e) {
    for (const [i, c] of contexts.entries()) {
      for (const p of c.pages()) await screenshot(p, `conflict-failure-${i}`);
    }
    throw e;
  } finally {
    for (const c of contexts) await c.close();
  }
});
