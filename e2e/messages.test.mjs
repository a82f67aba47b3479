// Conversation as the two people meet it, in two browser contexts: a message sent by one
// appears on the other's open page without a reload (Server-Sent Events), the thread says who
// waits for whom, and opening it is a read receipt the writer sees live. axe on every page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO, startServer, launchBrowser, newContext, login, pathOf, expectNoAxeViolations, screenshot,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('messages');
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

test('a message appears on the other person\'s open page without a reload', { timeout: 300_000 }, async () => {
  const contexts = [];
  const open = async () => {
    const c = await newContext(browser, server, { locale: 'en-GB' });
    contexts.push(c);
    return c.newPage();
  };
  try {
    const client = await open();
    await login(client, DEMO.client.username, '/me');
    await client.getByRole('link', { name: 'Messages', exact: true }).click();
    await client.waitForLoadState('load');
    await expectNoAxeViolations(client, 'client: messages');
    await client.locator('#subject').fill('Moving our meeting');
    await client.locator('#body').fill('Can we meet on Friday instead?');
    await submit(client, client.getByRole('button', { name: 'Send' }));
    const threadPath = pathOf(client);
    assert.match(threadPath, /^\/clients\/[^/]+\/messages\/[^/]+$/);
    assert.match(await client.locator('main').innerText(), /You can expect an answer by/);
    assert.match(await client.locator('#messages').innerText(), /Not read yet/);
    await expectNoAxeViolations(client, 'client: thread');

    // The counselor opens the thread: the client's page shows it as read, live.
    const counselor = await open();
    await login(counselor, DEMO.counselor.username, '/caseload');
    await counselor.goto(threadPath.split('/messages/')[0] + '/messages');
    assert.match(await counselor.locator('main').innerText(), /Waiting for an answer from the service since/);
    await expectNoAxeViolations(counselor, 'counselor: messages');
    await counselor.goto(threadPath);
    await counselor.locator('#messages').getByText('Can we meet on Friday instead?').waitFor();
    await client.locator('#messages').getByText(/Read \d{4}-/).waitFor({ timeout: 15_000 });

    // The counselor answers; it appears on the client's open page without a reload.
    const clientUrlBefore = client.url();
    let reloaded = false;
    client.on('framenavigated', (f) => { if (f === client.mainFrame()) reloaded = true; });
    await counselor.locator('#body').fill('Friday at ten works. See you then.');
    await submit(counselor, counselor.getByRole('button', { name: 'Send' }));
    await client.locator('#messages').getByText('Friday at ten works. See you then.').waitFor({ timeout: 15_000 });
    assert.equal(reloaded, false, 'the client\'s page was not reloaded');
    assert.equal(client.url(), clientUrlBefore);
    assert.match(await client.locator('#messages').innerText(), /You can answer when it suits you/);
    await expectNoAxeViolations(client, 'client: thread after a live update');
    await expectNoAxeViolations(counselor, 'counselor: thread');

    // An attachment round-trips: the client sends a PDF, the counselor downloads the same bytes.
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    await client.locator('#body').fill('Here is the letter from the landlord.');
    await client.locator('#attachment').setInputFiles({ name: 'letter.pdf', mimeType: 'application/pdf', buffer: pdf });
    await submit(client, client.getByRole('button', { name: 'Send' }));
    const link = counselor.locator('#messages a', { hasText: 'letter.pdf' });
    await link.waitFor({ timeout: 15_000 });
    const download = await counselor.context().request.get(await link.getAttribute('href'));
    assert.equal(download.status(), 200);
    assert.equal(download.headers()['content-type'], 'application/pdf');
    assert.match(download.headers()['content-disposition'], /^attachment;/);
    assert.deepEqual(Buffer.from(await download.body()), pdf, 'the same bytes come back');

    // A disguised file is refused with a message, and the text is kept.
    await client.locator('#body').fill('And my ID card.');
    await client.locator('#attachment').setInputFiles({ name: 'id.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 not a pdf') });
    await submit(client, client.getByRole('button', { name: 'Send' }));
    assert.match(await client.locator('[role="alert"]').innerText(), /Only PDF, PNG and JPEG files/);
    assert.equal(await client.locator('#body').inputValue(), 'And my ID card.');
    await expectNoAxeViolations(client, 'client: refused attachment');

    // A draft survives a reload, and is gone once sent.
    await client.goto(threadPath);
    const saved = client.waitForResponse((r) => r.url().endsWith('/draft') && r.request().method() === 'POST');
    await client.locator('#body').fill('Half an answer, to be continued');
    assert.equal((await saved).status(), 204);
    await client.reload();
    assert.equal(await client.locator('#body').inputValue(), 'Half an answer, to be continued');
    await submit(client, client.getByRole('button', { name: 'Send' }));
    await client.goto(threadPath);
    assert.equal(await client.locator('#body').inputValue(), '', 'the draft went with the message');
  } catch (e) {
    for (const [i, c] of contexts.entries()) {
      for (const p of c.pages()) await screenshot(p, `messages-failure-${i}`);
    }
    throw e;
  } finally {
    for (const c of contexts) await c.close();
  }
});
