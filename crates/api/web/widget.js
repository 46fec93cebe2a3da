// <orient-chat>: the public chat widget. One <script src=".../widget.js"> tag on any page
// defines the element and, when the page has none, adds one. No build step, no dependency.
// Accessibility (WCAG 2.1 AA / RGAA): labelled controls, keyboard only use, visible focus,
// a polite live region that announces whole sentences of the streamed answer, contrast ≥ 4.5:1.
(() => {
  if (customElements.get("orient-chat")) return;
  const script = document.currentScript;
  const defaultApi = script && script.src ? new URL(script.src).origin : location.origin;

  const css = `
    :host { all: initial; display: block; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; }
    .box { border: 1px solid #5c5c5c; border-radius: 8px; background: #fff; max-width: 42rem; display: flex; flex-direction: column; }
    header { background: #000091; color: #fff; padding: .6rem .9rem; border-radius: 7px 7px 0 0; }
    header h2 { margin: 0; font-size: 1.1rem; }
    .ai { margin: .2rem 0 0; font-size: .9rem; }
    .ai a, .ai a:visited { color: #fff; }
    .log { padding: .6rem .9rem; min-height: 8rem; max-height: 28rem; overflow-y: auto; }
    .msg { margin: .5rem 0; padding: .5rem .7rem; border-radius: 6px; white-space: pre-wrap; }
    .user { background: #e3e3fd; margin-left: 2rem; }
    .assistant { background: #f6f6f6; margin-right: 2rem; }
    .counsellor { background: #dffee6; border: 1px solid #18753c; margin-right: 2rem; }
    .who { display: block; font-weight: 700; font-size: .85rem; }
    .sources { margin: .4rem 0 0; padding-left: 1.2rem; font-size: .9rem; }
    .sources a { color: #000091; }
    .note { font-size: .9rem; color: #3a3a3a; margin: .4rem .9rem; }
    form { display: flex; gap: .5rem; padding: .6rem .9rem; border-top: 1px solid #ddd; align-items: flex-end; flex-wrap: wrap; }
    label { width: 100%; font-weight: 600; }
    textarea { flex: 1; min-width: 12rem; font: inherit; padding: .4rem; border: 1px solid #3a3a3a; border-radius: 4px; resize: vertical; }
    button { font: inherit; padding: .45rem .9rem; border-radius: 4px; border: 2px solid #000091; background: #000091; color: #fff; cursor: pointer; }
    button.secondary { background: #fff; color: #000091; }
    button:disabled { opacity: .6; cursor: wait; }
    :focus-visible { outline: 3px solid #0a76f6; outline-offset: 2px; }
    .actions { display: flex; justify-content: space-between; align-items: center; gap: .5rem; padding: 0 .9rem .6rem; flex-wrap: wrap; }
    .actions a { color: #000091; font-size: .9rem; }
    .sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
  `;

  class OrientChat extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      this.api = (this.getAttribute("api") || defaultApi).replace(/\/$/, "");
      this.conversation = sessionStorage.getItem("orient-conversation") || null;
      this.lastSeq = 0;
      this.polling = null;
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = `
        <style>${css}</style>
        <section class="box" aria-labelledby="orient-title">
          <header>
            <h2 id="orient-title">Assistant d'orientation</h2>
            <p class="ai">Tu discutes avec une intelligence artificielle. Elle répond avec les fiches de l'Onisep et peut se tromper.
              <a href="${this.api}/charte" target="_blank" rel="noopener">Notre charte</a></p>
          </header>
          <div class="log" role="log" aria-label="Conversation" tabindex="0"></div>
          <div class="sr-only" aria-live="polite" aria-atomic="false"></div>
          <p class="note" hidden></p>
          <form>
            <label for="orient-q">Ta question sur un métier ou une formation</label>
            <textarea id="orient-q" rows="2" maxlength="2000" placeholder="Par exemple : comment devenir infirmier ?" required></textarea>
            <button type="submit">Envoyer</button>
          </form>
          <div class="actions">
            <button type="button" class="secondary human">Parler à un conseiller</button>
            <a href="${this.api}/charte" target="_blank" rel="noopener">Comment l'IA est encadrée</a>
          </div>
        </section>`;
      this.log = root.querySelector(".log");
      this.live = root.querySelector("[aria-live]");
      this.note = root.querySelector(".note");
      this.input = root.querySelector("textarea");
      this.send = root.querySelector("button[type=submit]");
      this.human = root.querySelector(".human");
      root.querySelector("form").addEventListener("submit", (e) => { e.preventDefault(); this.ask(this.input.value); });
      this.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); this.ask(this.input.value); }
      });
      this.human.addEventListener("click", () => this.ask("Je voudrais parler à un conseiller, s'il vous plaît."));
      if (this.conversation) this.startPolling();
    }

    bubble(role, text) {
      const div = document.createElement("div");
      div.className = "msg " + role;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = { user: "Toi", assistant: "Assistant (IA)", counsellor: "Conseiller ou conseillère" }[role];
      const body = document.createElement("span");
      body.className = "text";
      body.textContent = text || "";
      div.append(who, body);
      this.log.append(div);
      this.log.scrollTop = this.log.scrollHeight;
      return div;
    }

    announce(text) {
      const p = document.createElement("p");
      p.textContent = text;
      this.live.append(p);
      while (this.live.childNodes.length > 20) this.live.firstChild.remove();
    }

    showSources(div, sources) {
      if (!sources || !sources.length) return;
      const title = document.createElement("span");
      title.className = "who";
      title.textContent = "Sources :";
      const ul = document.createElement("ul");
      ul.className = "sources";
      for (const s of sources) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = s.url; a.target = "_blank"; a.rel = "noopener";
        a.textContent = s.title + " (fiche " + (s.publisher || "Onisep") + ")";
        li.append(a);
        ul.append(li);
      }
      div.append(title, ul);
      this.log.scrollTop = this.log.scrollHeight;
    }

    setBusy(busy) {
      this.send.disabled = busy;
      this.human.disabled = busy;
      this.log.setAttribute("aria-busy", busy ? "true" : "false");
    }

    async ask(text) {
      text = (text || "").trim();
      if (!text || this.send.disabled) return;
      this.input.value = "";
      this.note.hidden = true;
      this.bubble("user", text);
      const div = this.bubble("assistant", "");
      const body = div.querySelector(".text");
      this.setBusy(true);
      let pending = "";
      const flushSentences = (all) => {
        const m = all ? [pending, ""] : pending.match(/^([\s\S]*[.!?:\n])([\s\S]*)$/);
        if (m && m[1].trim()) { this.announce(m[1].trim()); pending = m[2]; }
      };
      try {
        const res = await fetch(this.api + "/v1/chat", {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
          body: JSON.stringify({ message: text, conversation_id: this.conversation }),
        });
        if (!res.ok) {
          const err = await res.json().catch(() => ({}));
          throw new Error((err.error && err.error.message) || "Le service ne répond pas. Réessaie plus tard.");
        }
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const raw = buf.slice(0, cut); buf = buf.slice(cut + 2);
            let name = "message", data = "";
            for (const line of raw.split("\n")) {
              if (line.startsWith("event:")) name = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).trim();
            }
            if (!data) continue;
            const d = JSON.parse(data);
            if (name === "conversation") {
              this.conversation = d.conversation_id;
              sessionStorage.setItem("orient-conversation", this.conversation);
            } else if (name === "text") {
              body.textContent += d.text; pending += d.text; flushSentences(false);
              this.log.scrollTop = this.log.scrollHeight;
            } else if (name === "sources") {
              flushSentences(true);
              this.showSources(div, d.sources);
              if (d.sources && d.sources.length) this.announce(d.sources.length + " source(s) citée(s) sous la réponse.");
            } else if (name === "handoff") {
              this.note.textContent = "Un conseiller ou une conseillère va te répondre ici. Tu peux garder cette page ouverte.";
              this.note.hidden = false;
              this.announce(this.note.textContent);
              this.startPolling();
            } else if (name === "error") {
              throw new Error(d.message);
            }
          }
        }
        flushSentences(true);
        await this.pull();
      } catch (e) {
        body.textContent = e.message || "Le service ne répond pas. Réessaie plus tard.";
        this.announce(body.textContent);
      } finally {
        this.setBusy(false);
        this.input.focus();
      }
    }

    // New messages of the conversation: only a counsellor's are shown (the others are on screen).
    async pull() {
      if (!this.conversation) return;
      try {
        const r = await fetch(this.api + "/v1/chat/" + this.conversation + "/messages?after=" + this.lastSeq);
        if (r.status === 404) {
          sessionStorage.removeItem("orient-conversation");
          this.conversation = null;
          if (this.polling) { clearInterval(this.polling); this.polling = null; }
          return;
        }
        if (!r.ok) return;
        const d = await r.json();
        for (const m of d.messages) {
          if (m.seq <= this.lastSeq) continue;
          this.lastSeq = m.seq;
          if (m.role === "counsellor") {
            this.bubble("counsellor", m.text);
            this.announce("Message d'un conseiller : " + m.text);
          }
        }
      } catch (_) { /* the next try will do */ }
    }

    // After a handoff, the counsellor's replies arrive by polling the conversation.
    startPolling() {
      if (this.polling || !this.conversation) return;
      this.pull();
      this.polling = setInterval(() => this.pull(), 4000);
    }
  }

  customElements.define("orient-chat", OrientChat);
  const addDefault = () => { if (!document.querySelector("orient-chat")) document.body.append(document.createElement("orient-chat")); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", addDefault); else addDefault();
})();
