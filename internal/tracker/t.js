/*pmdp t.js, protocol v=1: see the README*/
(function(w,d,n,h){var s=d.currentScript,u=s.src.replace(/[^/]*$/,'e'),r=d.referrer,l,L=location,E=encodeURIComponent,
t=function(e,o){if(n.webdriver&&s.dataset.webdriver==null)return;var k,q=u+'?v=1&ev='+E(e)+'&p='+E(L.pathname)+'&r='+E(r)+'&w='+screen.width+'&l='+E(n.language)+'&z='+E(Intl.DateTimeFormat().resolvedOptions().timeZone)+'&id='+Math.random().toString(36).slice(2);for(k in o)q+='&'+E(k)+'='+E(o[k]);n.sendBeacon&&n.sendBeacon(q)||((new Image).src=q)},
v=function(){if(l!=L.pathname){l=L.pathname;t('pageview');r=''}},q=w.pmdp&&w.pmdp.q;
if(r.split('/')[2]==L.host)r='';
['pushState','replaceState'].forEach(function(m){var f=h[m];h[m]=function(){var x=f.apply(this,arguments);v();return x}});
w.addEventListener('popstate',v);w.pmdp=t;v();q&&q.forEach(function(a){t.apply(0,a)})})(window,document,navigator,history);
