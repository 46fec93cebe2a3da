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
    .paths { list-style: none; margin: .5rem 0 0; padding: 0; display: grid; gap: .5rem; white-space: normal; }
    .card { border: 1px solid #929292; border-radius: 6px; padding: .5rem .7rem; background: #fff; }
    .card h3 { margin: 0; font-size: 1rem; }
    .card h3 a, .card a { color: #000091; }
    .card p { margin: .2rem 0 0; font-size: .92rem; }
    .profile { margin: .4rem .9rem; padding: .5rem .7rem; border: 1px dashed #5c5c5c; border-radius: 6px; font-size: .92rem; }
    .profile h3 { margin: 0 0 .3rem; font-size: .95rem; }
    .profile ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem; }
    .chip { display: inline-flex; align-items: center; gap: .3rem; border: 1px solid #000091; border-radius: 1rem; padding: .05rem .2rem .05rem .6rem; }
    .chip button { padding: 0 .45rem; border-radius: 1rem; font-size: .85rem; }
    .profile .erase { margin-top: .4rem; }
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
          <section class="profile" aria-labelledby="orient-profile-title" hidden>
            <h3 id="orient-profile-title">Ce que l'assistant a compris (tu peux corriger)</h3>
            <ul></ul>
            <button type="button" class="secondary erase">Tout effacer</button>
          </section>
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
      // The profile of an open question lives here only: shown, correctable, erased in one
      // click, sent back with each message, gone with the page.
      this.profile = null;
      this.profileBox = root.querySelector(".profile");
      this.profileBox.querySelector(".erase").addEventListener("click", () => {
        this.profile = null;
        this.renderProfile();
        this.announce("Tout ce que l'assistant avait compris de toi est effacé.");
      });
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

    // Proposals of an open question, as cards with their source fiches, in place of the
    // text's list (the text before and after the list stays around the cards).
    showPaths(div, exploration) {
      const body = div.querySelector(".text");
      const text = body.textContent;
      const first = text.indexOf("\n• "), after = text.indexOf("\n\n", text.lastIndexOf("\n• "));
      let rest = null;
      if (first >= 0 && after >= 0) {
        body.textContent = text.slice(0, first);
        rest = document.createElement("span");
        rest.className = "text-after";
        rest.textContent = text.slice(after);
      }
      const ul = document.createElement("ul");
      ul.className = "paths";
      ul.setAttribute("aria-label", "Métiers à explorer");
      for (const p of exploration.proposals) {
        const li = document.createElement("li");
        li.className = "card";
        const h = document.createElement("h3");
        const a = document.createElement("a");
        a.href = p.url; a.target = "_blank"; a.rel = "noopener";
        a.textContent = p.title;
        h.append(a);
        li.append(h);
        if (p.line) { const t = document.createElement("p"); t.textContent = p.line; li.append(t); }
        if (p.no_diploma) {
          const t = document.createElement("p");
          t.textContent = "Aucun diplôme n'est exigé" + (p.level ? " (niveau le plus courant : " + p.level + ")" : "");
          li.append(t);
        } else if (p.level) { const t = document.createElement("p"); t.textContent = "Niveau minimum : " + p.level; li.append(t); }
        if (p.first_step) {
          const t = document.createElement("p");
          t.append("Une formation pour y aller : ");
          const f = document.createElement("a");
          f.href = p.first_step.url; f.target = "_blank"; f.rel = "noopener";
          f.textContent = p.first_step.title;
          t.append(f);
          li.append(t);
        }
        const src = document.createElement("p");
        src.textContent = "Source : fiche Onisep";
        li.append(src);
        ul.append(li);
      }
      div.append(ul);
      if (rest) div.append(rest);
      this.log.scrollTop = this.log.scrollHeight;
    }

    // What the assistant understood, each item removable with its own button.
    renderProfile() {
      const p = this.profile;
      const items = [];
      if (p) {
        for (const i of p.interests || []) items.push(["« " + i + " »", () => { p.interests = p.interests.filter((x) => x !== i); }]);
        if (p.max_level) items.push(["Études courtes : niveau " + ({ no_diploma: "sans diplôme", cap: "CAP", bac: "bac", bac1: "bac + 1", bac2: "bac + 2", bac3: "bac + 3", bac4: "bac + 4", bac5: "bac + 5", beyond: "bac + 6 et plus" }[p.max_level] || p.max_level) + " au plus", () => { p.max_level = null; }]);
        if (p.class) items.push(["Classe : " + p.class, () => { p.class = null; }]);
        if (p.apprenticeship) items.push(["En alternance", () => { p.apprenticeship = false; }]);
        for (const e of p.excluded || []) items.push(["Pas : " + e, () => { p.excluded = p.excluded.filter((x) => x !== e); }]);
        for (const a of p.avoided || []) items.push(["Pas : « " + a + " »", () => { p.avoided = p.avoided.filter((x) => x !== a); }]);
        for (const c of p.avoided_conditions || []) items.push(["Pas : " + c, () => { p.avoided_conditions = p.avoided_conditions.filter((x) => x !== c); }]);
      }
      const ul = this.profileBox.querySelector("ul");
      ul.replaceChildren();
      for (const [label, remove] of items) {
        const li = document.createElement("li");
        li.className = "chip";
        li.append(label);
        const b = document.createElement("button");
        b.type = "button"; b.className = "secondary";
        b.textContent = "×";
        b.setAttribute("aria-label", "Retirer : " + label);
        b.addEventListener("click", () => { remove(); this.renderProfile(); this.announce("Retiré : " + label); this.input.focus(); });
        li.append(b);
        ul.append(li);
      }
      this.profileBox.hidden = items.length === 0;
      if (!items.length) this.profile = null;
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
      let sources = null, exploration = null;
      const flushSentences = (all) => {
        const m = all ? [pending, ""] : pending.match(/^([\s\S]*[.!?:\n])([\s\S]*)$/);
        if (m && m[1].trim()) { this.announce(m[1].trim()); pending = m[2]; }
      };
      try {
        const res = await fetch(this.api + "/v1/chat", {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
          body: JSON.stringify({ message: text, conversation_id: this.conversation, profile: this.profile }),
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
              sources = d.sources;
            } else if (name === "exploration") {
              exploration = d;
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
        if (exploration && exploration.proposals.length) {
          this.showPaths(div, exploration);
          this.announce(exploration.proposals.length + " métiers à explorer, en fiches sous la réponse.");
        } else if (sources && sources.length) {
          this.showSources(div, sources);
          this.announce(sources.length + " source(s) citée(s) sous la réponse.");
        }
        if (exploration) { this.profile = exploration.profile; this.renderProfile(); }
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
