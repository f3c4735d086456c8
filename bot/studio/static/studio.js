// Studio Entraide Kiné — live pages and the conversation preview.
// Every piece of HTML inserted here was built (and escaped) by the server; what the person
// types is only ever inserted as text (textContent), never as markup.
"use strict";

(function () {
  const page = document.body.dataset.page;
  let generation = null;

  // ---- live refresh: the server sends an event each time the files were checked again ----
  async function refreshPage() {
    const url = new URL(location.href);
    url.searchParams.set("partie", "1");
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) return;
    const opened = new Set([...document.querySelectorAll("details[open] > summary")]
      .map((s) => s.textContent));
    document.getElementById("contenu").innerHTML = await response.text();
    document.querySelectorAll("details > summary").forEach((s) => {
      if (opened.has(s.textContent)) s.parentElement.open = true;
    });
    document.dispatchEvent(new Event("studio:contenu"));
  }

  async function refreshHeader() {
    const response = await fetch("/api/etat", { cache: "no-store" });
    if (!response.ok) return;
    const data = await response.json();
    const header = document.querySelector("header.entete");
    if (header) header.outerHTML = data.entete;
    let banner = document.getElementById("bandeau");
    if (data.bandeau) {
      if (!banner) {
        banner = document.createElement("p");
        banner.id = "bandeau";
        banner.className = "bandeau";
        document.querySelector("header.entete").after(banner);
      }
      banner.textContent = data.bandeau;
    } else if (banner) {
      banner.remove();
    }
    return data;
  }

  const events = new EventSource("/api/evenements");
  events.onmessage = async (event) => {
    const next = Number(event.data);
    if (generation === null) { generation = next; return; }
    if (next === generation) return;
    generation = next;
    if (page === "apercu") {
      await refreshHeader();
      if (preview) preview.reloaded();
    } else {
      await refreshPage();
    }
  };

  // ---- the preview: the page keeps the conversation's state, the server runs the engine ----
  const log = document.getElementById("fil");
  const preview = log ? makePreview() : null;

  function makePreview() {
    const profile = document.getElementById("profil");
    const department = document.getElementById("departement");
    const input = document.getElementById("texte");
    let state = null;
    let busy = Promise.resolve();

    function note(text, css) {
      const line = document.createElement("div");
      line.className = css || "systeme";
      line.textContent = text;
      log.appendChild(line);
    }

    function send(action, value, said) {
      busy = busy.then(async () => {
        if (said) note(said, "bulle moi");
        const response = await fetch("/api/tour", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ state, action, value: value || "",
            profil: profile.value, departement: department.value }),
        });
        if (!response.ok) {
          note(response.status === 409
            ? "Aucune version valide du contenu : corrigez les problèmes (voir « État du contenu »)."
            : "Le studio n'a pas pu répondre (" + response.status + ").");
          return;
        }
        const data = await response.json();
        state = data.state;
        if (data.effacer) log.replaceChildren();
        log.insertAdjacentHTML("beforeend", data.html);
        log.dataset.ecran = data.node || "";
        profile.value = data.profil;
        department.value = data.departement;
        log.scrollTop = log.scrollHeight;
      });
      return busy;
    }

    log.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-press]");
      if (button) send("press", button.dataset.press, button.textContent);
    });
    document.getElementById("saisie").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      send("text", text, text);
    });
    profile.addEventListener("change", () => {
      note("Profil : " + profile.options[profile.selectedIndex].text);
      send("resume");
    });
    department.addEventListener("change", () => {
      note("Département : " + department.options[department.selectedIndex].text);
      send("resume");
    });
    document.getElementById("recommencer").addEventListener("click", () => {
      log.replaceChildren();
      state = null;
      send("start");
    });

    const screen = log.dataset.ecran;
    if (screen) send("screen", screen); else send("start");

    return {
      reloaded() {
        note("Contenu rechargé depuis les fichiers.");
        send("resume");
      },
    };
  }
})();
